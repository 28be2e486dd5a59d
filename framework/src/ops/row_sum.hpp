// Sums over the rows of a matrix (a bias or LayerNorm parameter gradient: one
// value per column, summed over every token), in parallel yet with the same
// floats for any thread count: the rows are cut in fixed blocks, each block sums
// its rows in order, and the block sums are added in block order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::detail {

/// into[0, cols) += the sum over rows r in [0, rows) of row_term(r), an Eigen
/// array expression of `cols` values.
template <class RowTerm>
void add_row_sum(float* into, int64_t rows, int64_t cols, const RowTerm& row_term) {
  constexpr int64_t kBlockRows = 256;
  const int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<float> block_sums(static_cast<std::size_t>(blocks * cols), 0.0f);
  parallel_for(blocks, kBlockRows * cols, [&](int64_t block) {
    auto sum = array(block_sums.data() + block * cols, cols);
    for (int64_t r = block * kBlockRows, end = std::min(rows, r + kBlockRows); r < end; ++r)
      sum += row_term(r);
  });
  auto total = array(into, cols);
  for (int64_t block = 0; block < blocks; ++block)
    total += array(block_sums.data() + block * cols, cols);
}

}  // namespace attnlab::detail
