// What the analysis commands (compare, analyze, ablate, patch, report) share:
// OUTPUT_DIR, --format and --interval on the command line, and a walk over the finished
// trials that names every trial left out and the trial of any error.
#pragma once

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/analysis/trained_trial.hpp"

namespace attnlab::cli {

struct AnalysisArguments {
  bool help = false;  // --help was asked for and printed
  std::string dir;
  analysis::TextFormat format = analysis::TextFormat::table;
  analysis::MeanInterval interval = analysis::MeanInterval::bootstrap;
};

/// Parses `arguments` against `options` plus --help, the positional
/// OUTPUT_DIR and, if `takes_format` (a command that prints tables), --format
/// and --interval (of the means over seeds); `command` names it in the errors
/// ("attnlab ablate").
AnalysisArguments parse_analysis_arguments(const std::string& command,
                                           boost::program_options::options_description options,
                                           const std::vector<std::string>& arguments,
                                           bool takes_format = true);

/// ConfigError unless 1 <= examples <= 4096.
void check_examples(int64_t examples);

/// Calls `use` with every finished trial of `results` rebuilt, in plan order;
/// trials not finished, and those whose file turns out damaged (IoError: a
/// dataset fails its checksum), are named on stderr with the reason and left
/// out; any other error names the trial it happened in. Returns how many
/// trials were left out.
int64_t for_each_trained_trial(const analysis::ExperimentResults& results,
                               const std::string& command,
                               const std::function<void(analysis::TrainedTrial&)>& use);

}  // namespace attnlab::cli
