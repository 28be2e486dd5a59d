// `attnlab report OUTPUT_DIR`: one self-contained HTML file of an experiment
// (docs/analysis.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "attnlab/analysis/report.hpp"
#include "attnlab/error.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_report(const std::vector<std::string>& arguments) {
  std::string dir, out;
  analysis::ReportOptions options;
  po::options_description description(
      "attnlab report OUTPUT_DIR [options]\n"
      "one self-contained HTML file (no network): the experiment and its provenance, its arms "
      "compared over seeds, the head metrics, the plots and an interactive attention explorer; "
      "measures the heads as 'attnlab analyze' does and draws the plots with analysis/plots/");
  description.add_options()("help,h", "show this text")(
      "out", po::value(&out), "the HTML file to write (default OUTPUT_DIR/analysis/report.html)")(
      "examples", po::value(&options.examples)->default_value(options.examples),
      "analysis examples the head metrics are measured on")(
      "ablate", po::bool_switch(&options.ablate),
      "also ablate every head ('attnlab ablate') and show it");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir));
  po::options_description all;
  all.add(description).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << description << "\n";
    return 0;
  }
  po::notify(values);
  if (dir.empty())
    throw ConfigError("attnlab report: which output directory? (attnlab report runs/NAME)");
  if (options.examples < 1 || options.examples > 4096)
    throw ConfigError(fmt::format("--examples {}: expected 1 to 4096", options.examples));
  options.out = out;
  const analysis::ExperimentResults results = analysis::read_experiment_results(dir);
  for (const TrialSummary& trial : results.trials)
    if (trial.status != TrialStatus::finished)
      fmt::print(stderr, "attnlab report: left out trial {} ({}, seed {}): {}\n", trial.id,
                 trial.arm, trial.seed,
                 trial.failure.empty() ? "it has not run yet" : trial.failure);
  fmt::print("{}\n", analysis::write_report(results, options).string());
  return 0;
}

}  // namespace attnlab::cli
