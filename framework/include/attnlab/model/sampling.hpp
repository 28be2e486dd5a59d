// How a generated token is chosen from the model's logits: greedily, or by
// sampling at a temperature from the k most likely (`attnlab generate`).
#pragma once

#include <cstdint>

#include "attnlab/model/models.hpp"

namespace attnlab {

/// Samples each token from softmax(logits / temperature) over the `top_k`
/// largest logits (0 = all), drawing from `rng`, which must outlive the
/// chooser; temperature 0 is greedy decoding (an empty chooser). ConfigError
/// for a negative or non-finite temperature, or a negative top_k.
TokenChooser sampling_chooser(double temperature, int64_t top_k, Rng& rng);

}  // namespace attnlab
