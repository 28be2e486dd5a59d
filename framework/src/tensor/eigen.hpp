// The one place Eigen is included: const-correct row-major Map aliases over our buffers.
#pragma once

#include <Eigen/Core>
#include <cstdint>

namespace attnlab::detail {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

inline MatrixMap matrix(float* data, int64_t rows, int64_t cols) {
  return {data, rows, cols};
}
inline ConstMatrixMap matrix(const float* data, int64_t rows, int64_t cols) {
  return {data, rows, cols};
}
inline ArrayMap array(float* data, int64_t count) {
  return {data, count};
}
inline ConstArrayMap array(const float* data, int64_t count) {
  return {data, count};
}

}  // namespace attnlab::detail
