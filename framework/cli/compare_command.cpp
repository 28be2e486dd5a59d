// `attnlab compare OUTPUT_DIR`: every arm of a finished (or partly finished)
// experiment against a baseline arm over seeds, and the learning-curve
// summaries; docs/analysis.md shows the output.
#include <cmath>
#include <limits>
#include <optional>

#include "analysis_arguments.hpp"
#include "attnlab/analysis/arm_comparison.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_compare(const std::vector<std::string>& arguments) {
  std::string figure = "eval_accuracy", baseline;
  std::optional<std::string> fixed_value;
  double target = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> solved_at;
  bool by_length = false, paired = false;
  po::options_description options(
      "attnlab compare OUTPUT_DIR [options]\n"
      "each arm against a baseline arm over seeds: each arm's mean with its 95% interval, the "
      "difference with its 95% interval (Welch), Welch's t-test and the Mann-Whitney rank "
      "test, Holm-adjusted over the arms");
  options.add_options()(
      "metric", po::value(&figure)->default_value(figure),
      "the final figure to compare, e.g. eval_exact_match, eval_accuracy@32, "
      "eval_loss[ignore_probability=0.98], train_loss (a trial's /final attributes)")(
      "baseline", po::value(&baseline),
      "KEY=VALUE (each arm against the arm with that ablation value and its other values), "
      "or an arm's label; default: the plan's first arm")(
      "reach", po::value(&target),
      "also: the steps each arm took to first reach this value of the metric's curve (at or "
      "below it for a loss)")("by-length", po::bool_switch(&by_length),
                              "also: the metric at every evaluated length (eval.lengths)")(
      "paired", po::bool_switch(&paired),
      "pair each arm's seeds with the baseline's same seeds (arms that agree on the task, batch "
      "and evaluation draw the same examples under one seed): the mean of the seeds' "
      "differences with its paired t "
      "interval, the paired t-test and the Wilcoxon signed-rank test, instead of Welch and "
      "Mann-Whitney")(
      "solved", po::value<double>()->notifier([&](double v) { solved_at = v; }),
      "also: how many seeds reached this value of the metric (at or below it for a loss), "
      "with the Clopper-Pearson 95% interval (default: the experiment's solved: rule, when "
      "--metric is its figure)")(
      "at", po::value<std::string>()->notifier([&](const std::string& v) { fixed_value = v; }),
      "under tune: only: every arm at this value of the tuned key (its reported seeds) "
      "instead of the value it selects, e.g. --at 0.003: how the arms compare at one rate");
  const AnalysisArguments parsed = parse_analysis_arguments("attnlab compare", options, arguments);
  if (parsed.help) return 0;
  if (parsed.format == analysis::TextFormat::csv && (by_length || !std::isnan(target)))
    throw ConfigError(
        "--format csv holds one table, and --reach and --by-length add tables to the "
        "comparison: use --format json, which holds them all");
  const analysis::MeanInterval interval = parsed.interval;
  const analysis::ExperimentResults results =
      fixed_value
          ? analysis::at_tuned_value(analysis::read_experiment_results(parsed.dir), *fixed_value)
          : analysis::read_experiment_results(parsed.dir);
  if (!solved_at && results.plan.solved && results.plan.solved->figure == figure)
    solved_at = results.plan.solved->threshold;  // the experiment's own solved: rule
  for (const TrialSummary& trial : results.trials)
    if (trial.status != TrialStatus::finished)
      fmt::print(stderr, "attnlab compare: left out trial {} ({}, seed {}): {}\n", trial.id,
                 trial.arm, trial.seed,
                 trial.failure.empty() ? "it has not run yet" : trial.failure);
  if (baseline.empty() && !results.plan.arms.empty()) baseline = results.plan.arms.front();
  std::vector<std::string> sections{analysis::format_comparison(
      analysis::compare_arms(
          results, figure, baseline,
          {interval, solved_at, paired ? analysis::Pairing::by_seed : analysis::Pairing::unpaired}),
      parsed.format)};
  if (!std::isnan(target))
    sections.push_back(
        analysis::format_steps_to_target(analysis::steps_to_target(results, figure, target), figure,
                                         target, parsed.format, interval));
  if (by_length)
    sections.push_back(analysis::format_figure_by_length(
        analysis::figure_by_length(results, figure), figure, parsed.format, interval));
  fmt::print("{}", analysis::join_sections(sections, parsed.format));
  return 0;
}

}  // namespace attnlab::cli
