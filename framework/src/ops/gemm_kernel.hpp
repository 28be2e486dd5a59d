// One serial matrix product on strided row-major storage, run by whichever
// thread calls it: C[m x n] (+)= alpha op(A) op(B), row i of C at c + i * ldc. The
// kernel behind it is chosen per product by its size (gemm_kernel.cpp says which
// and why); the same shapes always take the same kernel, so results stay
// bit-identical from run to run.
#pragma once

#include <cstdint>

namespace attnlab::detail {

/// op(X) of a row-major matrix stored with `stride` floats between rows: X
/// itself, or its transpose when `transposed` (then X is stored cols x rows).
struct StridedOperand {
  const float* data;
  int64_t stride;
  bool transposed;

  /// op(X) from row `row` and column `col` on, same stride and orientation.
  StridedOperand from(int64_t row, int64_t col) const {
    return {data + (transposed ? col * stride + row : row * stride + col), stride, transposed};
  }
};

void serial_gemm(StridedOperand a, StridedOperand b, float* c, int64_t ldc, int64_t m, int64_t n,
                 int64_t k, bool accumulate, float alpha);

}  // namespace attnlab::detail
