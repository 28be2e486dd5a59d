// `attnlab ablate OUTPUT_DIR`: head ablation, head importance and pruning on
// every finished trial (Michel, Levy & Neubig 2019; docs/analysis.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "attnlab/analysis/head_ablation.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_ablate(const std::vector<std::string>& arguments) {
  std::string dir, format_name = "table";
  int64_t examples = 64;
  po::options_description options(
      "attnlab ablate OUTPUT_DIR [options]\n"
      "on every finished trial, on its own evaluation: each head removed alone (gate 0, and "
      "its output replaced by its mean), each head's importance |dL/dxi| (Michel et al. 2019), "
      "and the accuracy as heads are pruned, least important first; written to "
      "OUTPUT_DIR/analysis/head_ablation.csv and head_pruning.csv and summarised per arm");
  options.add_options()("help,h", "show this text")(
      "examples", po::value(&examples)->default_value(examples),
      "analysis examples for the importance and the mean head outputs")(
      "format", po::value(&format_name)->default_value(format_name),
      "of the summary: table | md | csv | json");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(values);
  if (dir.empty())
    throw ConfigError("attnlab ablate: which output directory? (attnlab ablate runs/NAME)");
  if (examples < 1 || examples > 4096)
    throw ConfigError(fmt::format("--examples {}: expected 1 to 4096", examples));
  const analysis::TextFormat format = analysis::text_format_names().decode(format_name, "--format");

  const analysis::ExperimentResults results = analysis::read_experiment_results(dir);
  std::vector<analysis::TrialAblation> ablated;
  for (const TrialSummary& trial : results.trials) {
    if (trial.status != TrialStatus::finished) {
      fmt::print(stderr, "attnlab ablate: left out trial {} ({}, seed {}): {}\n", trial.id,
                 trial.arm, trial.seed,
                 trial.failure.empty() ? "it has not run yet" : trial.failure);
      continue;
    }
    try {
      analysis::TrainedTrial trained(results.layout.trial_file(trial.id));
      ablated.push_back(analysis::ablate_heads(trained, examples));
    } catch (const Error& e) {  // which trial, for a run of many
      throw Error(
          fmt::format("trial {} ({}, seed {}): {}", trial.id, trial.arm, trial.seed, e.what()));
    }
  }
  if (ablated.empty())
    throw ConfigError(fmt::format("{}: no trial has finished; nothing to ablate", dir));
  analysis::write_head_ablation(results, ablated);
  fmt::print("{}", analysis::format_ablation_summary(results, ablated, format));
  return 0;
}

}  // namespace attnlab::cli
