#include "ops/gemm.hpp"

#include <algorithm>
#include <vector>

#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::detail {
namespace {

// Blocks of a GEMM split over the pool: fixed sizes, so the split (and so every
// float sum) is the same for any number of threads above one. C is split by
// rows, else by columns, else (a weight gradient X^T dY: few rows and columns,
// a sum over every token) along the inner dimension, whose partial products are
// then added in block order.
constexpr int64_t kBlock = 128;
constexpr int64_t kDepthBlock = 512;
// Multiply-adds below which one thread is faster than a split.
constexpr int64_t kParallelGemmWork = int64_t{1} << 18;

using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

template <class Out, class Left, class Right>
void product_into(Out&& c, const Left& left, const Right& right, bool accumulate) {
  if (accumulate)
    c.noalias() += left * right;
  else
    c.noalias() = left * right;
}

int64_t blocks_of(int64_t size, int64_t block) {
  return (size + block - 1) / block;
}

// C (+)= left * right summed over blocks of the inner dimension.
template <class Left, class Right>
void product_by_depth(MatrixMap c, const Left& left, const Right& right, bool accumulate) {
  const int64_t m = c.rows(), n = c.cols(), k = left.cols(), blocks = blocks_of(k, kDepthBlock);
  std::vector<RowMatrix> partial(static_cast<std::size_t>(blocks));
  parallel_run(blocks, [&](int64_t block) {
    const int64_t first = block * kDepthBlock, size = std::min(kDepthBlock, k - first);
    RowMatrix& into = partial[static_cast<std::size_t>(block)];
    into.resize(m, n);
    into.noalias() = left.middleCols(first, size) * right.middleRows(first, size);
  });
  if (!accumulate) c = partial.front();
  for (std::size_t b = accumulate ? 0 : 1; b < partial.size(); ++b) c += partial[b];
}

// C (+)= left * right, whole or in blocks over the pool.
template <class Left, class Right>
void product(MatrixMap c, const Left& left, const Right& right, bool accumulate) {
  const int64_t m = c.rows(), n = c.cols(), k = left.cols();
  const bool split = m * n * k >= kParallelGemmWork && pool_threads() > 1 && !in_parallel_region();
  if (split && m >= 2 * kBlock) {
    parallel_run(blocks_of(m, kBlock), [&](int64_t block) {
      const int64_t first = block * kBlock, size = std::min(kBlock, m - first);
      product_into(MatrixMap(c.data() + first * n, size, n), left.middleRows(first, size), right,
                   accumulate);
    });
  } else if (split && n >= 2 * kBlock) {
    parallel_run(blocks_of(n, kBlock), [&](int64_t block) {
      const int64_t first = block * kBlock, size = std::min(kBlock, n - first);
      product_into(StridedMap(c.data() + first, m, size, Eigen::OuterStride<>(n)), left,
                   right.middleCols(first, size), accumulate);
    });
  } else if (split && k >= 2 * kDepthBlock) {
    product_by_depth(c, left, right, accumulate);
  } else {
    product_into(c, left, right, accumulate);
  }
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
