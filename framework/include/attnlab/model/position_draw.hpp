// Where a pass puts its tokens: positions 0, 1, 2, ... or, with
// model.random_positions, randomized positions (Ruoss et al. 2023,
// "Randomized Positional Encodings Boost Length Generalization of
// Transformers"): an increasing subset of [0, L) drawn uniformly, so training
// on short sequences already shows the encoding every position a longer test
// sequence will use.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "attnlab/nn/module.hpp"

namespace attnlab {

/// An increasing subset of [0, range) of `length` positions, each subset equally
/// likely. Throws ConfigError if length > range.
std::vector<int64_t> random_positions(int64_t length, int64_t range, Rng& rng);

/// The positions of a pass of `stack` ("encoder", "decoder") over `length`
/// tokens. range 0: offset, offset + 1, ... Otherwise drawn by random_positions
/// from context.position_rng (the trainer's stream; the evaluation's, seeded
/// from train.seed: as in the paper's code, evaluation draws too, since the
/// model never saw consecutive positions). A pass outside training without a
/// stream (a check, a recording) draws from a fixed stream of its stack, so it
/// repeats exactly; a training pass without one is an error.
std::vector<int64_t> pass_positions(int64_t range, int64_t offset, int64_t length,
                                    const ForwardContext& context, std::string_view stack);

}  // namespace attnlab
