#include "ops/gemm.hpp"

#include <algorithm>
#include <vector>

#include "ops/gemm_kernel.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::detail {
namespace {

// Blocks of a GEMM split over the pool: fixed sizes, so the split (and so every
// float sum) is the same for any number of threads above one. C is split by
// rows, else by columns, else (a weight gradient X^T dY: few rows and columns,
// a sum over every token) along the inner dimension, whose partial products are
// then added in block order. Each block is one serial product (gemm_kernel.hpp).
constexpr int64_t kBlock = 128;
constexpr int64_t kDepthBlock = 512;
// Multiply-adds below which one thread is faster than a split.
constexpr int64_t kParallelGemmWork = int64_t{1} << 18;

int64_t blocks_of(int64_t size, int64_t block) {
  return (size + block - 1) / block;
}

struct Product {
  StridedOperand a, b;
  float* c;
  int64_t m, n, k;
  bool accumulate;
  float alpha;
};

// C (+)= A B summed over blocks of the inner dimension.
void product_by_depth(const Product& p) {
  const int64_t blocks = blocks_of(p.k, kDepthBlock);
  std::vector<std::vector<float>> partial(static_cast<std::size_t>(blocks));
  parallel_run(blocks, [&](int64_t block) {
    const int64_t first = block * kDepthBlock, size = std::min(kDepthBlock, p.k - first);
    std::vector<float>& into = partial[static_cast<std::size_t>(block)];
    into.resize(static_cast<std::size_t>(p.m * p.n));
    serial_gemm(p.a.from(0, first), p.b.from(first, 0), into.data(), p.n, p.m, p.n, size, false,
                p.alpha);
  });
  MatrixMap c = matrix(p.c, p.m, p.n);
  if (!p.accumulate) c = matrix(partial.front().data(), p.m, p.n);
  for (std::size_t b = p.accumulate ? 0 : 1; b < partial.size(); ++b)
    c += matrix(partial[b].data(), p.m, p.n);
}

void product(const Product& p) {
  const bool split =
      p.m * p.n * p.k >= kParallelGemmWork && pool_threads() > 1 && !in_parallel_region();
  if (split && p.m >= 2 * kBlock) {
    parallel_run(blocks_of(p.m, kBlock), [&](int64_t block) {
      const int64_t first = block * kBlock, size = std::min(kBlock, p.m - first);
      serial_gemm(p.a.from(first, 0), p.b, p.c + first * p.n, p.n, size, p.n, p.k, p.accumulate,
                  p.alpha);
    });
  } else if (split && p.n >= 2 * kBlock) {
    parallel_run(blocks_of(p.n, kBlock), [&](int64_t block) {
      const int64_t first = block * kBlock, size = std::min(kBlock, p.n - first);
      serial_gemm(p.a, p.b.from(0, first), p.c + first, p.n, p.m, size, p.k, p.accumulate, p.alpha);
    });
  } else if (split && p.k >= 2 * kDepthBlock) {
    product_by_depth(p);
  } else {
    serial_gemm(p.a, p.b, p.c, p.n, p.m, p.n, p.k, p.accumulate, p.alpha);
  }
}

}  // namespace

void gemm(GemmOperand a, GemmOperand b, float* c, int64_t m, int64_t n, int64_t k, bool accumulate,
          float alpha) {
  if (k == 0) {
    if (!accumulate) std::fill_n(c, m * n, 0.0f);
    return;
  }
  // Stored A is k x m when transposed, else m x k; stored B is n x k or k x n.
  const StridedOperand a_strided{a.data, a.transposed ? m : k, a.transposed};
  const StridedOperand b_strided{b.data, b.transposed ? k : n, b.transposed};
  product({a_strided, b_strided, c, m, n, k, accumulate, alpha});
}

}  // namespace attnlab::detail
