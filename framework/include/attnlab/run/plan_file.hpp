// plan.yaml, the plan an output directory holds: its experiment's name, a
// fingerprint of its trials (a run of another plan is refused there), for each
// trial its index, id, arm and seed, and the experiment itself as resolved (base:
// files merged, overrides applied, plugins by absolute path), so that the
// directory alone says what to run and how to merge it. Written by `attnlab run`
// and `attnlab slurm`, read by every command that looks at results.
#pragma once

#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab {

/// A hash of the plan's trials in order (index, id, arm, and under tune: each
/// trial's tuned value and how the values are selected).
std::string plan_fingerprint(const Experiment& experiment);

/// The text of plan.yaml for `experiment`.
std::string plan_yaml(const Experiment& experiment);

/// The plan in `layout`'s plan.yaml as an Experiment holding its name, its
/// output folder, its arms in plan order and its trials (index, id, arm, seed;
/// no configuration). ConfigError naming the file and what is wrong or missing
/// when there is no plan or it is not one attnlab wrote.
Experiment read_plan(const OutputLayout& layout);

/// The experiment the plan in `layout` was made from, rebuilt in full (every
/// trial's configuration; plugins loaded) from the resolved document plan.yaml
/// keeps, with its output in `layout`'s directory. ConfigError naming the file
/// if the plan was written by a build that did not keep the experiment, or if
/// the rebuilt trials differ from the plan's (a plugin changed its defaults).
Experiment planned_experiment(const OutputLayout& layout, const ValidationLimits& limits = {});

/// Whether `path` is a plan.yaml attnlab wrote (`attnlab run PLAN` runs that
/// plan in its directory). Only reads.
bool is_plan_file(const std::string& path);

}  // namespace attnlab
