// `attnlab report`: one self-contained HTML file of an experiment (no network,
// every image and all data inside): its YAML and provenance, the comparison
// of its arms, the figure at every length, the head metrics, the plots, and an
// interactive attention explorer in plain JavaScript.
#pragma once

#include <filesystem>

#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/analysis/head_analysis.hpp"

namespace attnlab::analysis {

struct ReportOptions {
  int64_t examples = 64;      // analysis examples the head metrics are measured on
  bool ablate = false;        // also ablate every head (attnlab ablate) and show it
  std::filesystem::path out;  // default: <dir>/analysis/report.html
};

struct ReportWritten {
  std::filesystem::path path;
  std::vector<std::string> left_out;  // "trial <id> (<arm>, seed <s>): <why>", also in the page
};

/// Measures every finished trial's heads (writing analysis/head_metrics.*, as
/// `attnlab analyze` does), draws the plots into analysis/plots/ with the
/// Python tools, and writes the report atomically. A trial not finished, or
/// whose file turns out damaged, is left out and listed.
ReportWritten write_report(const ExperimentResults& results, const ReportOptions& options);

/// The explorer's data: every shown example's tokens and attention weights per
/// trial and module, as JSON; only the first seed of each arm when all of
/// them would exceed `budget` weights (said in the JSON's "note").
std::string explorer_data(const ExperimentResults& results,
                          const std::vector<TrialHeadMetrics>& trials, int64_t budget);

}  // namespace attnlab::analysis
