#include "attnlab/model/token_batch.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"

namespace attnlab {

void TokenBatch::validate() const {
  if (batch < 0 || length < 0 || static_cast<int64_t>(ids.size()) != batch * length)
    throw ShapeError(
        fmt::format("token batch: {} ids do not fill [{}, {}]", ids.size(), batch, length));
  if (!lengths.empty() && static_cast<int64_t>(lengths.size()) != batch)
    throw ShapeError(
        fmt::format("token batch: {} lengths for {} sequences", lengths.size(), batch));
  for (int32_t l : lengths)
    if (l < 1 || l > length)
      throw ShapeError(
          fmt::format("token batch: sequence length {} is outside [1, {}]", l, length));
}

TokenBatch rows_of(const TokenBatch& batch, int64_t first, int64_t count) {
  TokenBatch part{count, batch.length, {}, {}};
  part.ids.assign(batch.ids.begin() + first * batch.length,
                  batch.ids.begin() + (first + count) * batch.length);
  if (!batch.lengths.empty())
    part.lengths.assign(batch.lengths.begin() + first, batch.lengths.begin() + first + count);
  return part;
}

}  // namespace attnlab
