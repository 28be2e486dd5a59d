// attnlab.plan(): the trials an experiment expands to, as `attnlab plan` lists
// them, without running anything.
#include "experiments.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "attnlab/error.hpp"
#include "attnlab/run/plan_file.hpp"
#include "bindings.hpp"
#include "compute_lock.hpp"

namespace attnlab::python {

Experiment load_experiment_of(const std::optional<std::string>& path,
                              const std::vector<std::string>& overrides) {
  if (!path || path->empty()) return default_experiment(overrides);
  const OutputLayout named_by_plan(std::filesystem::absolute(*path).parent_path());
  if (std::filesystem::path(*path).filename() == named_by_plan.plan().filename() &&
      is_plan_file(*path)) {
    if (!overrides.empty())
      throw ConfigError(fmt::format(
          "{}: a plan runs as it was planned, and the override '{}' would change it; give the "
          "experiment file instead",
          *path, overrides.front()));
    return planned_experiment(named_by_plan);
  }
  return load_experiment(*path, overrides);
}

namespace {

py::dict trial_record(const Trial& trial, bool tuned) {
  py::dict axes;
  for (const auto& [key, value] : trial.axes) axes[py::str(key)] = value;
  py::dict record;
  record["index"] = trial.index;
  record["id"] = trial.id;
  record["arm"] = trial.arm;
  record["seed"] = trial.seed;
  record["tuned"] = tuned ? py::object(py::str(trial.tuned)) : py::object(py::none());
  record["axes"] = axes;
  return record;
}

py::list plan(const std::optional<std::filesystem::path>& path,
              const std::vector<std::string>& overrides) {
  const Experiment experiment =
      without_gil([&] { return load_experiment_of(path_text(path), overrides); });
  py::list records;
  for (const Trial& trial : experiment.trials)
    records.append(trial_record(trial, experiment.tune.has_value()));
  return records;
}

}  // namespace

void bind_experiments(py::module_& module) {
  module.def("plan", &plan, py::arg("path") = py::none(),
             py::arg("overrides") = std::vector<std::string>{},
             "The trials an experiment expands to, nothing run, as `attnlab plan` lists them: one "
             "record per trial {index, id, arm, seed, tuned (the tuned key's value under tune:, "
             "else None), axes {key: value}}. `path`: an experiment file (None: the built-in "
             "default experiment; an output directory's plan.yaml: the plan it holds); "
             "`overrides`: ['KEY=VALUE', ...] as `-o` takes them. ConfigError naming the file, "
             "line and key for anything that cannot work.");
}

}  // namespace attnlab::python
