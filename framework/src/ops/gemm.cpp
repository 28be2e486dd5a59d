#include "ops/gemm.hpp"

#include <algorithm>

#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::detail {
namespace {

// Rows of C per task when a GEMM is split over the pool: fixed, so the split
// (and so every float sum) is the same for any number of threads above one.
constexpr int64_t kRowBlock = 64;
// Multiply-adds below which one thread is faster than a split.
constexpr int64_t kParallelGemmWork = int64_t{1} << 18;

template <class Left, class Right>
void product_into(MatrixMap c, const Left& left, const Right& right, bool accumulate) {
  if (accumulate)
    c.noalias() += left * right;
  else
    c.noalias() = left * right;
}

// C (+)= left * right, whole or in blocks of rows over the pool.
template <class Left, class Right>
void product(MatrixMap c, const Left& left, const Right& right, bool accumulate) {
  const int64_t m = c.rows(), blocks = (m + kRowBlock - 1) / kRowBlock;
  if (blocks < 2 || m * c.cols() * left.cols() < kParallelGemmWork || pool_threads() < 2 ||
      in_parallel_region()) {
    product_into(c, left, right, accumulate);
    return;
  }
  parallel_run(blocks, [&](int64_t block) {
    const int64_t first = block * kRowBlock, rows = std::min(kRowBlock, m - first);
    MatrixMap part(c.data() + first * c.cols(), rows, c.cols());
    product_into(part, left.middleRows(first, rows), right, accumulate);
  });
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
  if (!a.transposed && !b.transposed) product(out, a_plain, b_plain, accumulate);
  if (!a.transposed && b.transposed) product(out, a_plain, b_plain.transpose(), accumulate);
  if (a.transposed && !b.transposed) product(out, a_plain.transpose(), b_plain, accumulate);
  if (a.transposed && b.transposed)
    product(out, a_plain.transpose(), b_plain.transpose(), accumulate);
}

}  // namespace attnlab::detail
