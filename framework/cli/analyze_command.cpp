// `attnlab analyze OUTPUT_DIR`: what every head of every finished trial does,
// measured on its trained model (docs/analysis.md), written next to the
// trials and summarised per arm.
#include "analysis_arguments.hpp"
#include "attnlab/analysis/head_analysis.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_analyze(const std::vector<std::string>& arguments) {
  int64_t examples = 64;
  bool on_recorded = false;
  po::options_description options(
      "attnlab analyze OUTPUT_DIR [options]\n"
      "the head metrics of every finished trial (entropy, distance, position shares, the "
      "previous-token, duplicate-token and induction detectors, head diversity) and its order "
      "sensitivity, measured on each trial's model rebuilt from its final parameters; written "
      "to OUTPUT_DIR/analysis/head_metrics.{h5,csv} and summarised per arm");
  options.add_options()("examples", po::value(&examples)->default_value(examples),
                        "examples at the training length to measure on, from each trial's own "
                        "analysis stream (the same ones on every run)")(
      "on-recorded", po::bool_switch(&on_recorded),
      "measure on the examples each trial recorded its activations on instead (the numbers "
      "are then those of its recorded final weights)");
  const AnalysisArguments parsed = parse_analysis_arguments("attnlab analyze", options, arguments);
  if (parsed.help) return 0;
  check_examples(examples);
  const analysis::ExperimentResults results = analysis::read_experiment_results(parsed.dir);
  std::vector<analysis::TrialHeadMetrics> measured;
  int64_t unrecorded = 0;
  const int64_t unfinished =
      for_each_trained_trial(results, "attnlab analyze", [&](analysis::TrainedTrial& trial) {
        if (on_recorded && !trial.recorded_activations()) {
          fmt::print(stderr,
                     "attnlab analyze: left out trial {} ({}, seed {}): it recorded no "
                     "activations (record.tensors is empty), so it has no recorded examples\n",
                     trial.id(), trial.arm(), trial.seed());
          ++unrecorded;
          return;
        }
        measured.push_back(analysis::measure_heads(trial, examples, on_recorded));
      });
  if (measured.empty())
    throw ConfigError(fmt::format(
        "{}: {}; nothing to analyse", parsed.dir,
        on_recorded ? "no finished trial recorded activations (drop --on-recorded to measure on "
                      "the analysis examples)"
                    : "no trial has finished"));
  const int64_t left_out = unfinished + unrecorded;
  analysis::write_head_metrics(results, measured);
  fmt::print("{}",
             analysis::format_head_summary(results, measured, parsed.format, parsed.interval));
  if (parsed.format == analysis::TextFormat::table ||
      parsed.format == analysis::TextFormat::markdown)
    fmt::print("\n{} trials analysed on {} each{}; written to {}/analysis/\n", measured.size(),
               on_recorded ? "their recorded examples" : fmt::format("{} examples", examples),
               left_out ? fmt::format(" ({} left out: see above)", left_out) : "",
               results.layout.dir().string());
  return 0;
}

}  // namespace attnlab::cli
