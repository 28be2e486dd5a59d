// C (+)= op(A) * op(B) on row-major buffers through Eigen. op(A) is m x k (A is
// stored k x m when transpose_a), op(B) is k x n (B stored n x k when transpose_b).
#pragma once

#include <cstdint>

namespace attnlab::detail {

struct GemmOperand {
  const float* data;
  bool transposed;
};

void gemm(GemmOperand a, GemmOperand b, float* c, int64_t m, int64_t n, int64_t k, bool accumulate);

}  // namespace attnlab::detail
