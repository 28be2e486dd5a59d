// plan.yaml, the plan an output directory holds: its experiment's name, a
// fingerprint of its trials (a run of another plan is refused there), and for
// each trial its index, id, arm and seed. Written by `attnlab run`, read by
// every command that looks at results.
#pragma once

#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab {

/// A hash of the plan's trials in order (index, id, arm).
std::string plan_fingerprint(const Experiment& experiment);

/// The text of plan.yaml for `experiment`.
std::string plan_yaml(const Experiment& experiment);

/// The plan in `layout`'s plan.yaml as an Experiment holding its name, its
/// output folder, its arms in plan order and its trials (index, id, arm, seed;
/// no configuration). ConfigError naming the file and what is wrong or missing
/// when there is no plan or it is not one attnlab wrote.
Experiment read_plan(const OutputLayout& layout);

}  // namespace attnlab
