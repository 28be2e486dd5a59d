// An experiment named from Python, read as the command line reads its
// EXPERIMENT argument (framework/cli/experiment_arguments.cpp): no path for
// the built-in default experiment, an output directory's plan.yaml for the plan
// it holds, else an experiment file with `-o KEY=VALUE` overrides.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"

namespace attnlab::python {

/// Loads, expands and validates the experiment (plugins it names are loaded).
/// ConfigError for overrides given with a plan.yaml: the plan runs as planned.
Experiment load_experiment_of(const std::optional<std::string>& path,
                              const std::vector<std::string>& overrides);

}  // namespace attnlab::python
