// Many independent small products at once: C_i (+)= alpha op(A_i) op(B_i) for
// every batch item i (the per-(batch, head) products of attention), in parallel
// over attnlab's pool. Tiny items (thin heads at short lengths) go to oneDNN's
// batched matmul, each call taking a fixed number of items, which depends on the
// shapes only, so results are the same for any thread count; larger items are
// one product each (batched_gemm.cpp says where the line is and why).
#pragma once

#include <cstdint>

namespace attnlab::detail {

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
