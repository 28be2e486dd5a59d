// `attnlab report OUTPUT_DIR`: one self-contained HTML file of an experiment
// (docs/analysis.md).
#include "analysis_arguments.hpp"
#include "attnlab/analysis/report.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_report(const std::vector<std::string>& arguments) {
  std::string out;
  analysis::ReportOptions options;
  po::options_description description(
      "attnlab report OUTPUT_DIR [options]\n"
      "one self-contained HTML file (no network): the experiment and its provenance, its arms "
      "compared over seeds, the head metrics, the plots and an interactive attention explorer; "
      "measures the heads as 'attnlab analyze' does and draws the plots with analysis/plots/");
  description.add_options()("out", po::value(&out),
                            "the HTML file to write (default OUTPUT_DIR/analysis/report.html)")(
      "examples", po::value(&options.examples)->default_value(options.examples),
      "analysis examples the head metrics are measured on")(
      "ablate", po::bool_switch(&options.ablate),
      "also ablate every head ('attnlab ablate') and show it");
  const AnalysisArguments parsed =
      parse_analysis_arguments("attnlab report", description, arguments, false);
  if (parsed.help) return 0;
  check_examples(options.examples);
  options.out = out;
  const analysis::ExperimentResults results = analysis::read_experiment_results(parsed.dir);
  const analysis::ReportWritten written = analysis::write_report(results, options);
  for (const std::string& line : written.left_out)
    fmt::print(stderr, "attnlab report: left out {}\n", line);
  fmt::print("{}\n", written.path.string());
  return 0;
}

}  // namespace attnlab::cli
