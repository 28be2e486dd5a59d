// How much a trained model's outputs depend on the order of its input: the
// note's "I love NLP" / "NLP love I" as a number. Self-attention without
// positional information is permutation-equivariant, so an order-blind model
// scores 0; docs/analysis.md gives the definition.
#pragma once

#include "attnlab/analysis/trained_trial.hpp"

namespace attnlab::analysis {

/// Each example's valid input tokens (the encoder's source, or a decoder-only
/// model's input) shuffled by a permutation pi drawn from the trial's analysis
/// stream; then sum_i ||h'_pi(i) - h_i|| / sum_i ||h_i|| over the last layer's
/// output states h of the permuted stack (an encoder-decoder: the decoder's
/// states, which do not move, against the same positions). 0 for an
/// order-blind model; about sqrt(2) for outputs unrelated to the originals.
double permutation_sensitivity(const TrainedTrial& trial, const TaskBatch& batch);

/// `batch` with each example's valid input tokens (the encoder's source, or a
/// decoder-only model's input) shuffled by a permutation drawn from the
/// trial's "permutation" stream; `orders[b][i]` is where token i went.
TaskBatch shuffled_inputs(const TrainedTrial& trial, const TaskBatch& batch,
                          std::vector<std::vector<int64_t>>* orders = nullptr);

}  // namespace attnlab::analysis
