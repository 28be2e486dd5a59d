// `attnlab patch OUTPUT_DIR --activation NAME`: activation patching on every
// finished trial (docs/analysis.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "attnlab/analysis/activation_patching.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_patch(const std::vector<std::string>& arguments) {
  std::string dir, pattern, format_name = "table", corruption_name = "shuffle";
  int64_t examples = 64, head = -1;
  po::options_description options(
      "attnlab patch OUTPUT_DIR --activation NAME [options]\n"
      "on every finished trial: run the model on a corrupted input, put one activation's "
      "value on the clean input back in, and measure how much of the clean loss that restores "
      "(activation patching); written to OUTPUT_DIR/analysis/patching.csv and summarised per arm");
  options.add_options()("help,h", "show this text")(
      "activation", po::value(&pattern),
      "the recording name to patch, e.g. decoder.layers.1.self_attn.head_outputs; '*' matches "
      "one dotted segment (decoder.layers.*.output patches each layer's output in turn)")(
      "head", po::value(&head), "patch only this head of it (its 'head' axis)")(
      "corrupt", po::value(&corruption_name)->default_value(corruption_name),
      "shuffle (each input in another order) | resample (other examples of the task)")(
      "examples", po::value(&examples)->default_value(examples), "analysis examples to patch on")(
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
    throw ConfigError("attnlab patch: which output directory? (attnlab patch runs/NAME ...)");
  if (pattern.empty())
    throw ConfigError(
        "attnlab patch: which activation? (--activation decoder.layers.*.output, say)");
  if (examples < 1 || examples > 4096)
    throw ConfigError(fmt::format("--examples {}: expected 1 to 4096", examples));
  if (values.count("head") && head < 0)
    throw ConfigError(fmt::format("--head {}: expected a head index (0 or more)", head));
  const analysis::TextFormat format = analysis::text_format_names().decode(format_name, "--format");
  const analysis::Corruption corruption =
      analysis::corruption_names().decode(corruption_name, "--corrupt");

  const analysis::ExperimentResults results = analysis::read_experiment_results(dir);
  std::vector<analysis::TrialPatching> patched;
  std::string offered;  // what the last trial could patch, for the error if nothing matched
  for (const TrialSummary& trial : results.trials) {
    if (trial.status != TrialStatus::finished) {
      fmt::print(stderr, "attnlab patch: left out trial {} ({}, seed {}): {}\n", trial.id,
                 trial.arm, trial.seed,
                 trial.failure.empty() ? "it has not run yet" : trial.failure);
      continue;
    }
    try {
      const analysis::TrainedTrial trained(results.layout.trial_file(trial.id));
      auto found = analysis::patch_activations(trained, pattern, head, corruption, examples);
      if (found.empty()) {
        offered = fmt::format("{}", fmt::join(analysis::patchable_activations(trained), ", "));
        fmt::print(stderr, "attnlab patch: trial {} ({}, seed {}) has no activation {}\n", trial.id,
                   trial.arm, trial.seed, pattern);
        continue;
      }
      patched.push_back({trial.id, trial.arm, trial.seed, std::move(found)});
    } catch (const Error& e) {  // which trial, for a run of many
      throw Error(
          fmt::format("trial {} ({}, seed {}): {}", trial.id, trial.arm, trial.seed, e.what()));
    }
  }
  if (patched.empty())
    throw ConfigError(
        offered.empty()
            ? fmt::format("{}: no trial has finished; nothing to patch", dir)
            : fmt::format("--activation {}: matches nothing any trial can patch; they have: {}",
                          pattern, offered));
  analysis::write_patching(results, patched);
  fmt::print("{}", analysis::format_patching_summary(results, patched, format));
  return 0;
}

}  // namespace attnlab::cli
