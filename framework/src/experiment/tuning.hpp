// The `tune:` block of an experiment: which training key to tune per arm,
// over which values, and on which validation figure.
#pragma once

#include <optional>

#include "ablation.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"

namespace attnlab {

/// The tuning `block` asks for (nullopt without one): one key of the `train`
/// section (not train.seed or train.threads) with a list of at least two
/// distinct values, and optionally `select`, the evaluated metric compared on
/// the validation evaluation (loss by default). ConfigError naming the file,
/// line and key otherwise. Pure: the values are checked with the trials.
std::optional<Tuning> parse_tune(const ConfigNode* block);

/// Removes the tuned `key` (section.key) from `document`: the resolved text keeps
/// no default that no trial uses.
void erase_tuned_key(ConfigNode& document, const std::string& key);

/// `arm` at each value of `tuning`, in order, with eval.validation_batches set
/// to eval.batches (the arm's, else the document's) unless the arm or
/// `document` sets it (a value of 0 is refused). Throws ConfigError where the
/// arm itself sets the tuned key, or `document` does (that value would never be used).
std::vector<Arm> tuned_arms(const Arm& arm, const Tuning& tuning, const ConfigNode& document);

}  // namespace attnlab
