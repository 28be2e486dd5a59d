#include "attnlab/analysis/experiment_results.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/tuning.hpp"

namespace attnlab::analysis {

std::vector<const TrialSummary*> ExperimentResults::finished(const std::string& arm) const {
  std::vector<const TrialSummary*> found;
  for (const TrialSummary& trial : trials)
    if (trial.arm == arm && trial.status == TrialStatus::finished) found.push_back(&trial);
  return found;
}

std::vector<std::string> ExperimentResults::figures() const {
  std::vector<std::string> names;
  for (const TrialSummary& trial : all_trials)
    for (const auto& [name, value] : trial.metrics)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

std::vector<std::string> ExperimentResults::tuning_notes() const {
  std::vector<std::string> notes;
  if (fixed_tuned_value) {
    notes.push_back(fmt::format(
        "every arm at {} = {} as asked (--at), not at the value its validation figure selects",
        plan.tune->key, *fixed_tuned_value));
    return notes;
  }
  for (const TunedArm& arm : select_tuned_values(plan, all_trials))
    notes.push_back(
        arm.selected ? fmt::format("{}: at its tuned {} = {} (the best mean {}{}){}", arm.arm,
                                   plan.tune->key, *arm.selected_value(), plan.tune->figure(),
                                   arm.at_edge ? "; at the edge of the grid" : "",
                                   arm.provisional ? "; provisional: some trials have not run" : "")
        : arm.provisional
            ? fmt::format("{}: no {} can be selected yet: left out", arm.arm, plan.tune->key)
            : fmt::format("{}: no {} can be selected ({}): left out", arm.arm, plan.tune->key,
                          unselectable_reason(arm)));
  return notes;
}

ExperimentResults read_experiment_results(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir))
    throw ConfigError(fmt::format("{}: no such output directory", dir.string()));
  ExperimentResults results{
      OutputLayout(std::filesystem::absolute(dir).lexically_normal()), {}, {}, {}, {}};
  results.plan = read_plan(results.layout);
  results.all_trials = collect_summaries(results.plan, results.layout);
  results.trials = at_selected_values(results.plan, results.all_trials);
  return results;
}

ExperimentResults at_tuned_value(ExperimentResults results, const std::string& value) {
  if (!results.plan.tune)
    throw ConfigError(
        fmt::format("--at {}: the experiment {} has no tune: block", value, results.plan.name));
  const Tuning& tuning = *results.plan.tune;
  const std::string* listed = tuning.listed(value);
  if (listed == nullptr)
    throw ConfigError(fmt::format("--at: found '{}', expected one of the tuned {} values [{}]",
                                  value, tuning.key, fmt::join(tuning.values, ", ")));
  results.trials.clear();
  for (const TrialSummary& trial : results.all_trials)
    if (trial.tuned == *listed && !tuning.selects_only(trial.seed)) results.trials.push_back(trial);
  results.fixed_tuned_value = *listed;
  return results;
}

namespace {

std::vector<double> read_values(const Hdf5File& file, const std::string& dataset) {
  if (!file.contains(dataset))
    throw IoError(fmt::format("{}: has no dataset {} (the curve asked for)", file.path(), dataset));
  const std::vector<float> values = file.read_tensor(dataset).to_vector();
  return {values.begin(), values.end()};
}

std::vector<int64_t> read_steps(const Hdf5File& file, const std::string& dataset) {
  if (!file.contains(dataset))
    throw IoError(fmt::format("{}: has no dataset {}", file.path(), dataset));
  const std::vector<int32_t> steps = file.read_ints(dataset);
  return {steps.begin(), steps.end()};
}

}  // namespace

Curve read_curve(const std::filesystem::path& path, const std::string& figure) {
  const Hdf5File file(path.string(), Hdf5File::Mode::read);
  const bool evaluated = parse_figure_name(figure).evaluated;
  const CurvePaths paths = curve_paths(
      figure,
      evaluated ? file.int_attribute(trial_paths::evaluation, trial_paths::training_length) : 0);
  Curve curve;
  curve.steps = read_steps(file, paths.steps);
  curve.values = read_values(file, paths.values);
  if (curve.steps.size() != curve.values.size())
    throw IoError(fmt::format("{}: the curve of {} has {} values for {} steps", path.string(),
                              figure, curve.values.size(), curve.steps.size()));
  return curve;
}

}  // namespace attnlab::analysis
