#include "ops/gemm.hpp"

#include "tensor/eigen.hpp"

namespace attnlab::detail {
namespace {

template <class Left, class Right>
void product_into(MatrixMap c, const Left& left, const Right& right, bool accumulate) {
  if (accumulate)
    c.noalias() += left * right;
  else
    c.noalias() = left * right;
}

}  // namespace

void gemm(GemmOperand a, GemmOperand b, float* c, int64_t m, int64_t n, int64_t k,
          bool accumulate) {
  MatrixMap out = matrix(c, m, n);
  if (k == 0) {
    if (!accumulate) out.setZero();
    return;
  }
  const ConstMatrixMap a_plain = matrix(a.data, a.transposed ? k : m, a.transposed ? m : k);
  const ConstMatrixMap b_plain = matrix(b.data, b.transposed ? n : k, b.transposed ? k : n);
  if (!a.transposed && !b.transposed) product_into(out, a_plain, b_plain, accumulate);
  if (!a.transposed && b.transposed) product_into(out, a_plain, b_plain.transpose(), accumulate);
  if (a.transposed && !b.transposed) product_into(out, a_plain.transpose(), b_plain, accumulate);
  if (a.transposed && b.transposed)
    product_into(out, a_plain.transpose(), b_plain.transpose(), accumulate);
}

}  // namespace attnlab::detail
