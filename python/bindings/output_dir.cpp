// attnlab.open(directory) -> Output: .trials, each with its resolved
// configuration as a dict, arm, axis values, seed, status, final figures, and
// what its file holds (metrics, activations, the model).
#include "output_dir.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/run/plan_file.hpp"
#include "compute_lock.hpp"
#include "config_dict.hpp"
#include "model_handle.hpp"

namespace fs = std::filesystem;

namespace attnlab::python {

fs::path TrialHandle::file() const {
  return output_->results.layout.trial_file(summary().id);
}

fs::path TrialHandle::finished_file(const std::string& what) const {
  if (finished()) return file();
  const TrialSummary& s = summary();
  throw ConfigError(fmt::format(
      "trial {} (#{} {} seed {}) has no {}: it is {}{} (only a finished trial has a file, {})",
      s.id, s.index, s.arm, s.seed, what, status_text(s),
      s.failure.empty() ? "" : fmt::format(" ({})", s.failure), file().string()));
}

std::string TrialHandle::config_yaml() const {
  if (finished()) {
    const Hdf5File trial_file(file().string(), Hdf5File::Mode::read);
    return trial_file.string_attribute("/", kConfigAttribute);
  }
  if (!output_->planned) output_->planned = planned_experiment(output_->results.layout);
  return to_yaml(find_trial(*output_->planned, summary().id).config);
}

namespace {

struct OutputHandle {
  std::shared_ptr<OutputState> state;
  std::vector<std::shared_ptr<TrialHandle>> trials;
};

std::shared_ptr<OutputHandle> open_directory(const fs::path& directory) {
  auto state = std::make_shared<OutputState>(OutputState{
      without_gil([&] { return analysis::read_experiment_results(directory); }), std::nullopt});
  auto handle = std::make_shared<OutputHandle>();
  handle->state = state;
  for (std::size_t i = 0; i < state->results.all_trials.size(); ++i)
    handle->trials.push_back(std::make_shared<TrialHandle>(state, i));
  return handle;
}

// By id, or by plan index (an int, or its text), as `attnlab config --trial` takes it.
std::shared_ptr<TrialHandle> find(const OutputHandle& output, const py::object& which) {
  const std::string wanted = py::str(which).cast<std::string>();
  for (const auto& trial : output.trials) {
    const TrialSummary& s = trial->summary();
    if (s.id == wanted || std::to_string(s.index) == wanted) return trial;
  }
  throw ConfigError(fmt::format("{}: no trial '{}' (give a trial's id or its index, 0 to {})",
                                output.state->results.layout.dir().string(), wanted,
                                output.trials.size() - 1));
}

py::object optional_text(const std::string& text) {
  return text.empty() ? py::object(py::none()) : py::object(py::str(text));
}

void bind_output(py::module_& module) {
  py::class_<OutputHandle, std::shared_ptr<OutputHandle>>(
      module, "Output",
      "An output directory of attnlab run, as attnlab.open read it (a snapshot: open it again "
      "to see trials finished since).")
      .def_property_readonly(
          "directory", [](const OutputHandle& o) { return o.state->results.layout.dir().string(); })
      .def_property_readonly("name",
                             [](const OutputHandle& o) { return o.state->results.plan.name; })
      .def_property_readonly(
          "arms", [](const OutputHandle& o) { return o.state->results.plan.arms; },
          "The arms' labels, in plan order.")
      .def_property_readonly(
          "trials", [](const OutputHandle& o) { return o.trials; },
          "Every planned trial, in plan order, whatever its status.")
      .def("trial", &find, py::arg("which"), "The trial with this id or plan index.")
      .def("__len__", [](const OutputHandle& o) { return o.trials.size(); })
      .def("__iter__", [](const OutputHandle& o) { return py::iter(py::cast(o.trials)); })
      .def("__getitem__",
           [](const OutputHandle& o, std::size_t index) {
             if (index >= o.trials.size())
               throw py::index_error(
                   fmt::format("trial index {} of {} trials", index, o.trials.size()));
             return o.trials[index];
           })
      .def("__repr__", [](const OutputHandle& o) {
        int64_t finished = 0;
        for (const auto& trial : o.trials) finished += trial->finished();
        return fmt::format("<attnlab.Output {} ({}): {} trials, {} finished>",
                           o.state->results.plan.name, o.state->results.layout.dir().string(),
                           o.trials.size(), finished);
      });
}

py::dict axes_of(const TrialSummary& s) {
  py::dict axes;
  for (const auto& [key, value] : s.axes) axes[py::str(key)] = value;
  return axes;
}

py::dict final_figures(const TrialSummary& s) {
  py::dict figures;
  for (const auto& [name, value] : s.metrics) figures[py::str(name)] = value;
  return figures;
}

py::object metrics_of(const TrialHandle& trial, const std::string& kind, bool as_frame) {
  py::dict columns = trial_metrics(trial, kind);
  if (!as_frame) return columns;
  py::module_ pandas;
  try {
    pandas = py::module_::import("pandas");
  } catch (const py::error_already_set&) {
    PyErr_SetString(PyExc_ImportError,
                    "trial.metrics(as_frame=True) needs pandas, which cannot be imported here; "
                    "trial.metrics() gives the same columns as a dict of NumPy arrays");
    throw py::error_already_set();
  }
  return pandas.attr("DataFrame")(columns);
}

void bind_trial(py::module_& module) {
  py::class_<TrialHandle, std::shared_ptr<TrialHandle>> trial(
      module, "Trial", "One trial of an output directory: one arm with one seed.");
  trial.def_property_readonly("id", [](const TrialHandle& t) { return t.summary().id; })
      .def_property_readonly("index", [](const TrialHandle& t) { return t.summary().index; })
      .def_property_readonly("arm", [](const TrialHandle& t) { return t.summary().arm; })
      .def_property_readonly("seed", [](const TrialHandle& t) { return t.summary().seed; })
      .def_property_readonly(
          "tuned", [](const TrialHandle& t) { return optional_text(t.summary().tuned); },
          "The tuned key's value (tune:), else None.")
      .def_property_readonly(
          "axes", [](const TrialHandle& t) { return axes_of(t.summary()); },
          "The arm's ablation values, {key: value text}.")
      .def_property_readonly(
          "status", [](const TrialHandle& t) { return status_text(t.summary()); },
          "'finished', 'diverged', 'failed' or 'pending', as trials.csv says it.")
      .def_property_readonly(
          "failure", [](const TrialHandle& t) { return optional_text(t.summary().failure); },
          "Why it failed or diverged, else None.")
      .def_property_readonly("seconds", [](const TrialHandle& t) { return t.summary().seconds; })
      .def_property_readonly(
          "final", [](const TrialHandle& t) { return final_figures(t.summary()); },
          "Its final figures {name: value} (empty unless finished).")
      .def_property_readonly(
          "file",
          [](const TrialHandle& t) {
            return t.finished() ? py::object(py::str(t.file().string())) : py::object(py::none());
          },
          "Its trial file (trials/<id>.h5) when finished, else None.")
      .def_property_readonly(
          "config_yaml",
          [](const TrialHandle& t) { return without_gil([&] { return t.config_yaml(); }); },
          "Its fully resolved configuration as YAML text.")
      .def_property_readonly(
          "config",
          [](const TrialHandle& t) {
            const std::string yaml = without_gil([&] { return t.config_yaml(); });
            return configuration_dict(yaml, fmt::format("trial {} (config_yaml)", t.summary().id));
          },
          "Its fully resolved configuration as a dict, each value typed as its key is declared "
          "(config.json's \"config\").")
      .def("metrics", &metrics_of, py::arg("kind") = "train", py::arg("as_frame") = false,
           "Its curves as NumPy arrays of equal length, {name: array}: kind 'train' gives one "
           "row per step (step, loss, lr, grad_norm), 'eval' one row per evaluation (step, then "
           "each final figure's curve under the figure's name: eval_accuracy, eval_loss@32, "
           "eval_loss[validation], ...). as_frame=True: a pandas DataFrame instead "
           "(ImportError when pandas is not installed).")
      .def(
          "model",
          [](const TrialHandle& t, const std::optional<int64_t>& step) {
            return load_model(t.finished_file("model").string(), step);
          },
          py::arg("step") = py::none(),
          "Its trained model: attnlab.Model.load(trial.file, step) (step: the parameters a "
          "record.parameters snapshot stored at that step; its last by default).")
      .def("__repr__", [](const TrialHandle& t) {
        const TrialSummary& s = t.summary();
        return fmt::format("<attnlab.Trial #{} {} {} seed {}: {}>", s.index, s.id, s.arm, s.seed,
                           status_text(s));
      });
  bind_trial_activations(module, trial);
}

}  // namespace

py::object open_output(const std::string& directory) {
  return py::cast(open_directory(directory));
}

void bind_output_dir(py::module_& module) {
  bind_output(module);
  bind_trial(module);
  module.def("open", &open_directory, py::arg("directory"),
             "Opens an output directory of attnlab run (or the CLI's): its plan and every "
             "trial, each trial file checked as every reader checks it (a damaged one counts "
             "as not finished, with the damage as its failure). ConfigError when it holds no "
             "plan.");
}

}  // namespace attnlab::python
