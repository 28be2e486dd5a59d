// `attnlab ablate OUTPUT_DIR`: head ablation, head importance and pruning on
// every finished trial (Michel, Levy & Neubig 2019; docs/analysis.md).
#include "analysis_arguments.hpp"
#include "attnlab/analysis/head_ablation.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_ablate(const std::vector<std::string>& arguments) {
  int64_t examples = 64;
  po::options_description options(
      "attnlab ablate OUTPUT_DIR [options]\n"
      "on every finished trial, on its own evaluation: each head removed alone (gate 0, and "
      "its output replaced by its mean), each head's importance |dL/dxi| (Michel et al. 2019), "
      "and the accuracy as heads are pruned, least important first; written to "
      "OUTPUT_DIR/analysis/head_ablation.{h5,csv} and head_pruning.csv, summarised per arm");
  options.add_options()("examples", po::value(&examples)->default_value(examples),
                        "analysis examples for the importance and the mean head outputs");
  const AnalysisArguments parsed = parse_analysis_arguments("attnlab ablate", options, arguments);
  if (parsed.help) return 0;
  check_examples(examples);
  const analysis::ExperimentResults results = analysis::read_experiment_results(parsed.dir);
  std::vector<analysis::TrialAblation> ablated;
  for_each_trained_trial(results, "attnlab ablate", [&](analysis::TrainedTrial& trial) {
    ablated.push_back(analysis::ablate_heads(trial, examples));
  });
  if (ablated.empty())
    throw ConfigError(fmt::format("{}: no trial has finished; nothing to ablate", parsed.dir));
  analysis::write_head_ablation(results, ablated);
  fmt::print("{}",
             analysis::format_ablation_summary(results, ablated, parsed.format, parsed.interval));
  return 0;
}

}  // namespace attnlab::cli
