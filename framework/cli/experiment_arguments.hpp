// The arguments every experiment command shares: an optional YAML file (the
// built-in default experiment without one; an output directory's plan.yaml
// stands for the experiment it planned) and -o dotted.key=value overrides.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"

namespace attnlab::cli {

struct ExperimentArguments {
  std::string file;  // "" = the default experiment
  std::vector<std::string> overrides;
  ValidationLimits limits;
  bool help = false;
};

/// Parses `arguments` with `extra` options added to the shared ones; prints
/// usage and sets help when asked.
ExperimentArguments parse_experiment_arguments(const std::string& command,
                                               const std::vector<std::string>& arguments,
                                               boost::program_options::options_description extra);

/// The experiment of the file given (a plan.yaml of an output directory: the
/// plan it holds, in that directory), or the default experiment.
Experiment load(const ExperimentArguments& arguments);

}  // namespace attnlab::cli
