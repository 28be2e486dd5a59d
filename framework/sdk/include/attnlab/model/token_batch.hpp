// A batch of token sequences, right-padded to one length.
#pragma once

#include <cstdint>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

struct TokenBatch {
  int64_t batch = 0;
  int64_t length = 0;
  std::vector<int32_t> ids;      // [batch, length], row-major
  std::vector<int32_t> lengths;  // valid tokens per row; empty = every row is full

  Shape shape() const { return {batch, length}; }
  /// Throws ShapeError if ids or lengths do not fit batch x length.
  void validate() const;
};

/// Rows [first, first + count) of `batch`, with their lengths.
TokenBatch rows_of(const TokenBatch& batch, int64_t first, int64_t count);

}  // namespace attnlab
