// Many independent small products at once: C_i (+)= alpha op(A_i) op(B_i) for
// every batch item i (the per-(batch, head) products of attention), in parallel
// over attnlab's pool. Tiny items (thin heads at short lengths) go to oneDNN's
// batched matmul, each call taking a fixed number of items, which depends on the
// shapes only, so results are the same for any thread count; larger items are
// one product each.
#pragma once

#include <cstdint>

namespace attnlab::detail {

// Items of at most this many multiply-adds go to oneDNN's batched matmul; larger
// ones are one product each (oneDNN's sgemm or Eigen, gemm_kernel.cpp). Measured
// in training steps (docs/performance.md): for 16 heads of width 4 at length 16
// (1024 multiply-adds an item) the batched calls made a step 7% faster; for
// 32x32x8 items 5% slower and for the reference workload's 64x64x32 items 10%
// slower, the fixed cost of a call outweighing its gain there.
inline constexpr int64_t kTinyBatchedProduct = 2048;

/// Item i of op(X) at data + i * step: X row-major, or its transpose when
/// `transposed` (then X_i is stored cols x rows).
struct BatchedOperand {
  const float* data;
  int64_t step;
  bool transposed;
};

void batched_gemm(BatchedOperand a, BatchedOperand b, float* c, int64_t c_step, int64_t batch,
                  int64_t m, int64_t n, int64_t k, bool accumulate, float alpha);

}  // namespace attnlab::detail
