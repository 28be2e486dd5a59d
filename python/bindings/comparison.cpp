// The table `attnlab compare OUTPUT_DIR` prints, in its JSON form (every digit,
// the CSV and JSON field names of analysis/comparison_format.hpp), for
// attnlab.compare to turn into records: the field names are the formatter's,
// decided once.
#include <fmt/format.h>

#include <optional>

#include "attnlab/analysis/arm_comparison.hpp"
#include "attnlab/analysis/comparison_format.hpp"
#include "compute_lock.hpp"

namespace attnlab::python {
namespace {

struct CompareRequest {
  std::filesystem::path directory;
  std::string metric, baseline, interval;
  bool paired = false;
  std::optional<double> solved;
  std::optional<std::string> at;
};

// The JSON text of the table, and a line for every trial left out of it.
std::pair<std::string, std::vector<std::string>> compare(const CompareRequest& request) {
  const analysis::MeanInterval interval =
      analysis::mean_interval_names().decode(request.interval, "interval");
  const analysis::ExperimentResults results =
      request.at ? analysis::at_tuned_value(analysis::read_experiment_results(request.directory),
                                            *request.at)
                 : analysis::read_experiment_results(request.directory);
  std::optional<double> solved = request.solved;
  if (!solved && results.plan.solved && results.plan.solved->figure == request.metric)
    solved = results.plan.solved->threshold;  // the experiment's own solved: rule
  std::vector<std::string> left_out;
  for (const TrialSummary& trial : results.trials)
    if (trial.status != TrialStatus::finished)
      left_out.push_back(fmt::format("left out trial {} ({}, seed {}): {}", trial.id, trial.arm,
                                     trial.seed,
                                     trial.failure.empty() ? "it has not run yet" : trial.failure));
  const std::string baseline = request.baseline.empty() && !results.plan.arms.empty()
                                   ? results.plan.arms.front()
                                   : request.baseline;
  const analysis::ComparisonTable table = analysis::compare_arms(
      results, request.metric, baseline,
      {interval, solved,
       request.paired ? analysis::Pairing::by_seed : analysis::Pairing::unpaired});
  return {analysis::format_comparison(table, analysis::TextFormat::json), left_out};
}

}  // namespace

void bind_comparison(py::module_& module) {
  module.def(
      "compare_json",
      [](const std::filesystem::path& directory, const std::string& metric,
         const std::optional<std::string>& baseline, bool paired, const std::string& interval,
         std::optional<double> solved, std::optional<std::string> at) {
        const CompareRequest request{directory, metric, baseline.value_or(""), interval, paired,
                                     solved,    at};
        return without_gil([&] { return compare(request); });
      },
      py::arg("directory"), py::arg("metric") = "eval_accuracy", py::arg("baseline") = py::none(),
      py::arg("paired") = false, py::arg("interval") = "bootstrap", py::arg("solved") = py::none(),
      py::arg("at") = py::none(),
      "(JSON text of `attnlab compare DIR --format json`'s table, [trials left out]); "
      "attnlab.compare gives it as records.");
}

}  // namespace attnlab::python
