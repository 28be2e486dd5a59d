// `attnlab patch OUTPUT_DIR --activation NAME`: activation patching on every
// finished trial (docs/analysis.md).
#include <fmt/ranges.h>

#include "analysis_arguments.hpp"
#include "attnlab/analysis/activation_patching.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_patch(const std::vector<std::string>& arguments) {
  std::string pattern, corruption_name = "shuffle";
  int64_t examples = 64, head = -1;
  po::options_description options(
      "attnlab patch OUTPUT_DIR --activation NAME [options]\n"
      "on every finished trial: run the model on a corrupted input, put one activation's "
      "value on the clean input back in, and measure how much of the clean loss that restores "
      "(activation patching); written to OUTPUT_DIR/analysis/patching.csv and summarised per "
      "arm");
  options.add_options()(
      "activation", po::value(&pattern),
      "the recording name to patch, e.g. decoder.layers.1.self_attn.head_outputs, or a pattern "
      "as in record.tensors: '*' matches within one dotted segment (decoder.layers.*.output "
      "patches each layer's output in turn), '**' any number of segments (**.weights)")(
      "head", po::value(&head), "patch only this head of it (its 'head' axis)")(
      "corrupt", po::value(&corruption_name)->default_value(corruption_name),
      "shuffle (each input in another order) | resample (other examples of the task)")(
      "examples", po::value(&examples)->default_value(examples), "analysis examples to patch on");
  const AnalysisArguments parsed = parse_analysis_arguments("attnlab patch", options, arguments);
  if (parsed.help) return 0;
  if (pattern.empty())
    throw ConfigError(
        "attnlab patch: which activation? (--activation decoder.layers.*.output, say)");
  check_examples(examples);
  if (head < -1)
    throw ConfigError(fmt::format("--head {}: expected a head index (0 or more)", head));
  const analysis::Corruption corruption =
      analysis::corruption_names().decode(corruption_name, "--corrupt");

  const analysis::ExperimentResults results = analysis::read_experiment_results(parsed.dir);
  std::vector<analysis::TrialPatching> patched;
  std::string why;  // why the last trial with nothing patched had nothing, for the error below
  for_each_trained_trial(results, "attnlab patch", [&](analysis::TrainedTrial& trial) {
    analysis::PatchOutcome outcome =
        analysis::patch_activations(trial, pattern, head, corruption, examples);
    for (const std::string& reason : outcome.skipped)
      fmt::print(stderr, "attnlab patch: trial {} ({}, seed {}): not patched: {}\n", trial.id(),
                 trial.arm(), trial.seed(), reason);
    if (outcome.results.empty()) {
      why = fmt::format("{}; it has: {}", fmt::join(outcome.skipped, "; "),
                        fmt::join(analysis::patchable_activations(trial), ", "));
      return;
    }
    patched.push_back({trial.id(), trial.arm(), trial.seed(), std::move(outcome.results)});
  });
  if (patched.empty())
    throw ConfigError(
        why.empty() ? fmt::format("{}: no trial has finished; nothing to patch", parsed.dir)
                    : fmt::format("--activation {}{}: nothing patched in any trial: {}", pattern,
                                  head >= 0 ? fmt::format(" --head {}", head) : "", why));
  analysis::write_patching(results, patched);
  fmt::print("{}",
             analysis::format_patching_summary(results, patched, parsed.format, parsed.interval));
  return 0;
}

}  // namespace attnlab::cli
