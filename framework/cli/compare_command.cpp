// `attnlab compare OUTPUT_DIR`: every arm of a finished (or partly finished)
// experiment against a baseline arm over seeds, and the learning-curve
// summaries; docs/analysis.md shows the output.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>

#include "attnlab/analysis/arm_comparison.hpp"
#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_compare(const std::vector<std::string>& arguments) {
  std::string dir, figure = "eval_accuracy", baseline, format_name = "table";
  std::optional<double> target;
  bool by_length = false;
  po::options_description options(
      "attnlab compare OUTPUT_DIR [options]\n"
      "each arm against a baseline arm over seeds: the difference with its 95% interval "
      "(Welch), Welch's t-test and the Mann-Whitney rank test, Holm-adjusted over the arms");
  options.add_options()("help,h", "show this text")(
      "metric", po::value(&figure)->default_value(figure),
      "the final figure to compare, e.g. eval_exact_match, eval_accuracy@32, "
      "eval_loss[ignore_probability=0.98], train_loss (a trial's /final attributes)")(
      "baseline", po::value(&baseline),
      "KEY=VALUE (each arm against the arm with that ablation value and its other values), "
      "or an arm's label; default: the plan's first arm")(
      "format", po::value(&format_name)->default_value(format_name), "table | md | csv | json")(
      "reach", po::value<double>(),
      "also: the steps each arm took to first reach this value of the metric's curve (at or "
      "below it for a loss)")("by-length", po::bool_switch(&by_length),
                              "also: the metric at every evaluated length (eval.lengths)");
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
  if (values.count("reach")) target = values["reach"].as<double>();
  if (dir.empty())
    throw ConfigError("attnlab compare: which output directory? (attnlab compare runs/NAME)");
  const analysis::TextFormat format = analysis::text_format_names().decode(format_name, "--format");

  const analysis::ExperimentResults results = analysis::read_experiment_results(dir);
  if (baseline.empty() && !results.plan.arms.empty()) baseline = results.plan.arms.front();
  std::vector<std::string> sections{
      analysis::format_comparison(analysis::compare_arms(results, figure, baseline), format)};
  if (target)
    sections.push_back(analysis::format_steps_to_target(
        analysis::steps_to_target(results, figure, *target), figure, *target, format));
  if (by_length)
    sections.push_back(analysis::format_figure_by_length(
        analysis::figure_by_length(results, figure), figure, format));
  fmt::print("{}", analysis::join_sections(sections, format));
  return 0;
}

}  // namespace attnlab::cli
