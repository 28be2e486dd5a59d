// `attnlab plan`, `attnlab validate` and `attnlab config`: what an experiment
// would run, whether it can, and its fully resolved configuration, without
// training anything.
#include <fmt/format.h>

#include "attnlab/run/trial_runner.hpp"
#include "commands.hpp"
#include "experiment_arguments.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_plan(const std::vector<std::string>& arguments) {
  const ExperimentArguments parsed = parse_experiment_arguments("plan", arguments, {""});
  if (parsed.help) return 0;
  const Experiment experiment = load(parsed);
  fmt::print("experiment {}: {} trials ({}{}) -> {}\n", experiment.name, experiment.trials.size(),
             describe_trials(experiment),
             experiment.tune ? "; each arm reported at its value best on validation" : "",
             experiment.output_dir);
  // The tuned value, where there is one, before the arm (whose label can be long).
  const std::string tuned = experiment.tune ? experiment.tune->key : "";
  const int width = static_cast<int>(tuned.size());
  fmt::print("{:>5}  {:<16}  {:>5}  {:>{}}{}arm\n", "index", "id", "seed", tuned, width,
             tuned.empty() ? "" : "  ");
  for (const Trial& trial : experiment.trials)
    fmt::print("{:>5}  {:<16}  {:>5}  {:>{}}{}{}\n", trial.index, trial.id, trial.seed, trial.tuned,
               width, tuned.empty() ? "" : "  ", trial.arm);
  return 0;
}

int run_validate(const std::vector<std::string>& arguments) {
  const ExperimentArguments parsed = parse_experiment_arguments("validate", arguments, {""});
  if (parsed.help) return 0;
  const Experiment experiment = load(parsed);
  fmt::print("{}: valid ({} trials in {} arms; the largest needs about {}, estimated)\n",
             parsed.file.empty() ? "default experiment" : parsed.file, experiment.trials.size(),
             experiment.arms.size(), format_bytes(experiment.largest_trial_bytes));
  return 0;
}

int run_config(const std::vector<std::string>& arguments) {
  std::string which;
  bool keys = false;
  po::options_description extra("config options");
  extra.add_options()("keys", po::bool_switch(&keys),
                      "print every key an experiment file may hold, as a markdown table")(
      "trial", po::value(&which),
      "print one trial's resolved configuration (its id or index from 'attnlab "
      "plan') instead of the experiment's");
  const ExperimentArguments parsed = parse_experiment_arguments("config", arguments, extra);
  if (parsed.help) return 0;
  if (keys) {
    fmt::print("{}", experiment_keys_markdown());
    return 0;
  }
  const Experiment experiment = load(parsed);
  if (!which.empty()) {
    const Trial& trial = find_trial(experiment, which);
    fmt::print("# trial {} (index {}): {}, seed {}\n{}", trial.id, trial.index, trial.arm,
               trial.seed, to_yaml(trial.config));
    return 0;
  }
  fmt::print("# experiment {} ({} trials; 'attnlab plan' lists them)\n{}", experiment.name,
             experiment.trials.size(), to_yaml(experiment.resolved));
  return 0;
}

}  // namespace attnlab::cli
