#include "analysis_arguments.hpp"

#include "attnlab/error.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

AnalysisArguments parse_analysis_arguments(const std::string& command,
                                           po::options_description options,
                                           const std::vector<std::string>& arguments,
                                           bool takes_format) {
  AnalysisArguments parsed;
  std::string format_name = "table", interval_name = "bootstrap";
  options.add_options()("help,h", "show this text");
  if (takes_format)
    options.add_options()("format", po::value(&format_name)->default_value(format_name),
                          "table | md | csv | json | html")(
        "interval", po::value(&interval_name)->default_value(interval_name),
        "the 95% interval of each mean over seeds: bootstrap (expanded percentile, within the "
        "values' range, so within the figure's) | t (Student t)");
  parsed.help = parse_with_positional(arguments, options, parsed.dir);
  if (parsed.help) return parsed;
  if (parsed.dir.empty())
    throw ConfigError(fmt::format("{}: which output directory? ({} runs/NAME)", command, command));
  parsed.format = analysis::text_format_names().decode(format_name, "--format");
  parsed.interval = analysis::mean_interval_names().decode(interval_name, "--interval");
  return parsed;
}

void check_examples(int64_t examples) {
  if (examples < 1 || examples > 4096)
    throw ConfigError(fmt::format("--examples {}: expected 1 to 4096", examples));
}

int64_t for_each_trained_trial(const analysis::ExperimentResults& results,
                               const std::string& command,
                               const std::function<void(analysis::TrainedTrial&)>& use) {
  int64_t left_out = 0;
  for (const TrialSummary& trial : results.trials) {
    if (trial.status != TrialStatus::finished) {
      ++left_out;
      fmt::print(stderr, "{}: left out trial {} ({}, seed {}): {}\n", command, trial.id, trial.arm,
                 trial.seed, trial.failure.empty() ? "it has not run yet" : trial.failure);
      continue;
    }
    try {
      analysis::TrainedTrial trained(results.layout.trial_file(trial.id));
      use(trained);
    } catch (const IoError& e) {  // damage the summary check cannot see (a dataset's checksum)
      ++left_out;
      fmt::print(stderr, "{}: left out trial {} ({}, seed {}): {}\n", command, trial.id, trial.arm,
                 trial.seed, e.what());
    } catch (const Error& e) {  // which trial, for a run of many
      throw Error(
          fmt::format("trial {} ({}, seed {}): {}", trial.id, trial.arm, trial.seed, e.what()));
    }
  }
  return left_out;
}

}  // namespace attnlab::cli
