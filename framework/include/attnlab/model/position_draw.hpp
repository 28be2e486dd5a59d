// Where a pass puts its tokens: positions 0, 1, 2, ... or, with
// model.random_positions, randomized positions (Ruoss et al. 2023,
// "Randomized Positional Encodings Boost Length Generalization of
// Transformers"): an increasing subset of [0, L) drawn uniformly, so training
// on short sequences already shows the encoding every position a longer test
// sequence will use.
#pragma once

#include <cstdint>
#include <vector>

#include "attnlab/nn/module.hpp"

namespace attnlab {

/// An increasing subset of [0, range) of `length` positions, each subset equally
/// likely. Throws ConfigError if length > range.
std::vector<int64_t> random_positions(int64_t length, int64_t range, Rng& rng);

/// The positions of a pass over `length` tokens. range 0: offset, offset + 1, ...
/// Otherwise drawn by random_positions: while training from context.position_rng,
/// else from a fixed stream, so an evaluation repeats exactly (as in the paper's
/// code, evaluation draws too: the model never saw consecutive positions).
std::vector<int64_t> pass_positions(int64_t range, int64_t offset, int64_t length,
                                    const ForwardContext& context);

}  // namespace attnlab
