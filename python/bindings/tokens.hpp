// Token ids from Python into a TokenBatch, checked before any forward pass so
// that a bad id is named with its place, not found deep inside an op.
#pragma once

#include <cstdint>
#include <string>

#include "attnlab/model/token_batch.hpp"
#include "bindings.hpp"

namespace attnlab::python {

/// `tokens` (an integer NumPy array, torch tensor or nested lists) of shape
/// [batch, length], or [length] for one row (then `one_row` is set), each id
/// in [0, vocabulary). ConfigError naming `what` for another dtype or rank, an
/// empty batch, or an id outside the vocabulary (the first, with its place).
TokenBatch token_batch(py::handle tokens, int64_t vocabulary, const std::string& what,
                       bool* one_row = nullptr);

/// `lengths` [batch]: the valid tokens of each row of `batch` (right-padded
/// rows), each in [1, batch.length]; ConfigError naming `what` otherwise.
void set_lengths(TokenBatch& batch, py::handle lengths, const std::string& what);

}  // namespace attnlab::python
