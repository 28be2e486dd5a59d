// `attnlab analyze OUTPUT_DIR`: what every head of every finished trial does,
// measured on its trained model (docs/analysis.md), written next to the
// trials and summarised per arm.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "attnlab/analysis/head_analysis.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_analyze(const std::vector<std::string>& arguments) {
  std::string dir, format_name = "table";
  int64_t examples = 64;
  bool on_recorded = false;
  po::options_description options(
      "attnlab analyze OUTPUT_DIR [options]\n"
      "the head metrics of every finished trial (entropy, distance, position shares, the "
      "previous-token, duplicate-token and induction detectors, head diversity), measured on "
      "each trial's model rebuilt from its final parameters; written to "
      "OUTPUT_DIR/analysis/head_metrics.{h5,csv} and summarised per arm");
  options.add_options()("help,h", "show this text")(
      "examples", po::value(&examples)->default_value(examples),
      "examples at the training length to measure on, from each trial's own analysis "
      "stream (the same ones on every run)")(
      "on-recorded", po::bool_switch(&on_recorded),
      "measure on the examples each trial recorded its activations on instead (the numbers "
      "are then those of its recorded final weights)")(
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
    throw ConfigError("attnlab analyze: which output directory? (attnlab analyze runs/NAME)");
  if (examples < 1 || examples > 4096)
    throw ConfigError(fmt::format("--examples {}: expected 1 to 4096", examples));
  const analysis::TextFormat format = analysis::text_format_names().decode(format_name, "--format");

  const analysis::ExperimentResults results = analysis::read_experiment_results(dir);
  std::vector<analysis::TrialHeadMetrics> measured;
  int64_t skipped = 0;
  for (const TrialSummary& trial : results.trials) {
    if (trial.status != TrialStatus::finished) {
      ++skipped;
      fmt::print(stderr, "attnlab analyze: left out trial {} ({}, seed {}): {}\n", trial.id,
                 trial.arm, trial.seed,
                 trial.failure.empty() ? "it has not run yet" : trial.failure);
      continue;
    }
    try {
      const analysis::TrainedTrial trained(results.layout.trial_file(trial.id));
      measured.push_back(analysis::measure_heads(trained, examples, on_recorded));
    } catch (const Error& e) {  // which trial, for a run of many
      throw Error(
          fmt::format("trial {} ({}, seed {}): {}", trial.id, trial.arm, trial.seed, e.what()));
    }
  }
  if (measured.empty())
    throw ConfigError(fmt::format("{}: no trial has finished; nothing to analyse", dir));
  analysis::write_head_metrics(results, measured);
  fmt::print("{}", analysis::format_head_summary(results, measured, format));
  if (format == analysis::TextFormat::table || format == analysis::TextFormat::markdown)
    fmt::print("\n{} trials analysed on {} each{}; written to {}/analysis/\n", measured.size(),
               on_recorded ? "their recorded examples" : fmt::format("{} examples", examples),
               skipped ? fmt::format(" ({} not finished, left out)", skipped) : "",
               results.layout.dir().string());
  return 0;
}

}  // namespace attnlab::cli
