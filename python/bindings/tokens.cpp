#include "tokens.hpp"

#include <fmt/format.h>

#include "arrays.hpp"
#include "attnlab/error.hpp"

namespace attnlab::python {
namespace {

// `value` as an array of int64, refusing floats and bools (which NumPy would
// cast without a word: 1.7 would become token 1).
py::array_t<int64_t, py::array::c_style> integer_array(py::handle value, const std::string& what) {
  py::array array;
  try {
    array = py::module_::import("numpy").attr("asarray")(value).cast<py::array>();
  } catch (const py::error_already_set& e) {
    throw ConfigError(
        fmt::format("{}: cannot be read as an array of token ids ({})", what, e.what()));
  }
  if (array.size() == 0)
    throw ConfigError(fmt::format("{}: expected at least one token in at least one row", what));
  if (!is_integer_dtype(array.dtype()))
    throw ConfigError(fmt::format("{}: found values of dtype {}, expected integer token ids", what,
                                  py::str(array.dtype()).cast<std::string>()));
  return py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
}

}  // namespace

TokenBatch token_batch(py::handle tokens, int64_t vocabulary, const std::string& what,
                       bool* one_row) {
  const auto ids = integer_array(tokens, what);
  if (ids.ndim() != 1 && ids.ndim() != 2)
    throw ConfigError(
        fmt::format("{}: found an array of {} dimensions, expected [batch, length] or [length]",
                    what, ids.ndim()));
  if (one_row != nullptr) *one_row = ids.ndim() == 1;
  const int64_t rows = ids.ndim() == 2 ? ids.shape(0) : 1;
  const int64_t length = ids.shape(ids.ndim() - 1);
  if (rows == 0 || length == 0)
    throw ConfigError(fmt::format("{}: expected at least one token in at least one row", what));
  TokenBatch batch{rows, length, {}, {}};
  batch.ids.reserve(static_cast<std::size_t>(rows * length));
  const int64_t* data = ids.data();
  for (int64_t i = 0; i < rows * length; ++i) {
    if (data[i] < 0 || data[i] >= vocabulary)
      throw ConfigError(
          fmt::format("{}: token {} at [{}, {}] is outside the model's vocabulary (ids 0 to {})",
                      what, data[i], i / length, i % length, vocabulary - 1));
    batch.ids.push_back(static_cast<int32_t>(data[i]));
  }
  return batch;
}

void set_lengths(TokenBatch& batch, py::handle lengths, const std::string& what) {
  const auto given = integer_array(lengths, what);
  if (given.ndim() != 1 || given.shape(0) != batch.batch)
    throw ConfigError(fmt::format("{}: expected one length per row ({} rows)", what, batch.batch));
  for (int64_t row = 0; row < batch.batch; ++row) {
    const int64_t length = given.data()[row];
    if (length < 1 || length > batch.length)
      throw ConfigError(fmt::format("{}: row {} has length {}, expected 1 to {}", what, row, length,
                                    batch.length));
    batch.lengths.push_back(static_cast<int32_t>(length));
  }
}

}  // namespace attnlab::python
