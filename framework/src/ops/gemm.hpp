// C (+)= alpha op(A) op(B) on row-major buffers, split over attnlab's pool when
// large (gemm.cpp). op(A) is m x k (A is stored k x m when transposed), op(B) is
// k x n (B stored n x k when transposed).
#pragma once

#include <cstdint>

namespace attnlab::detail {

struct GemmOperand {
  const float* data;
  bool transposed;
};

void gemm(GemmOperand a, GemmOperand b, float* c, int64_t m, int64_t n, int64_t k, bool accumulate,
          float alpha = 1.0f);

}  // namespace attnlab::detail
