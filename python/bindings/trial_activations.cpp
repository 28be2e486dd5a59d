// A trial's recorded activations (record: in its configuration) and the
// examples they were recorded on, from its file (docs/hdf5-layout.md,
// activations/): each tensor with the dimension names given where it was
// recorded (its `dims` attribute), never parsed from its name.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "compute_lock.hpp"
#include "output_dir.hpp"

namespace attnlab::python {
namespace {

// One recorded tensor as read from the file.
struct Activation {
  std::string name;
  int64_t step = 0;
  Tensor values;
  std::vector<std::string> dims;
  std::optional<std::vector<int64_t>> heads;  // the heads kept (record.heads), in order
};

std::vector<int64_t> recorded_steps(const Hdf5File& file) {
  std::vector<int64_t> steps;
  if (!file.contains(trial_paths::activations)) return steps;
  for (const std::string& child : file.children(trial_paths::activations))
    if (const int64_t step = trial_paths::snapshot_step(child); step >= 0) steps.push_back(step);
  std::sort(steps.begin(), steps.end());
  return steps;
}

// The snapshot of `step` (the last one without), or ConfigError naming the choices.
int64_t chosen_step(const Hdf5File& file, const std::optional<int64_t>& step) {
  const std::vector<int64_t> steps = recorded_steps(file);
  if (steps.empty())
    throw ConfigError(fmt::format(
        "{}: the trial recorded no activations (its record.tensors selects none)", file.path()));
  if (!step) return steps.back();
  if (std::find(steps.begin(), steps.end(), *step) == steps.end())
    throw ConfigError(fmt::format("{}: no activations recorded at step {}; recorded at steps {}",
                                  file.path(), *step, fmt::join(steps, ", ")));
  return *step;
}

void collect_names(const Hdf5File& file, const std::string& group, const std::string& prefix,
                   std::vector<std::string>& names) {
  for (const std::string& child : file.children(group)) {
    const std::string path = group + "/" + child;
    const std::string name = prefix.empty() ? child : prefix + "." + child;
    if (file.is_group(path))
      collect_names(file, path, name, names);
    else
      names.push_back(name);
  }
}

std::vector<std::string> names_at(const Hdf5File& file, int64_t step) {
  std::vector<std::string> names;
  collect_names(file, trial_paths::snapshot_group(step), "", names);
  return names;
}

std::vector<int64_t> heads_of(const std::string& text) {
  std::vector<int64_t> heads;
  std::istringstream in(text);
  for (std::string head; std::getline(in, head, ',');) heads.push_back(std::stoll(head));
  return heads;
}

Activation read_activation(const std::string& path, const std::string& name,
                           const std::optional<int64_t>& step) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  Activation found{name, chosen_step(file, step), {}, {}, std::nullopt};
  const std::string dataset = hdf5_path(trial_paths::snapshot_group(found.step), name);
  if (!file.contains(dataset) || file.is_group(dataset))
    throw ConfigError(fmt::format("{}: no activation '{}' at step {}; recorded there: {}", path,
                                  name, found.step, fmt::join(names_at(file, found.step), ", ")));
  found.values = file.read_tensor(dataset);
  found.dims = file.string_list_attribute(dataset, trial_paths::dimensions);
  if (file.has_attribute(dataset, "heads"))
    found.heads = heads_of(file.string_attribute(dataset, "heads"));
  return found;
}

// The recorded examples' tokens: source, target_input, targets (and lengths).
std::vector<std::pair<std::string, std::pair<std::vector<int32_t>, Shape>>> read_inputs(
    const std::string& path) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  if (!file.contains(trial_paths::inputs))
    throw ConfigError(fmt::format(
        "{}: the trial recorded no activations, so no examples (its record.tensors selects none)",
        path));
  std::vector<std::pair<std::string, std::pair<std::vector<int32_t>, Shape>>> inputs;
  for (const std::string& name : file.children(trial_paths::inputs)) {
    const std::string dataset = fmt::format("{}/{}", trial_paths::inputs, name);
    inputs.push_back({name, {file.read_ints(dataset), file.dataset_shape(dataset)}});
  }
  return inputs;
}

py::list dims_of(const Activation& activation) {
  py::list dims;
  for (const std::string& dim : activation.dims) dims.append(dim);
  return dims;
}

}  // namespace

void bind_trial_activations(py::module_& module,
                            py::class_<TrialHandle, std::shared_ptr<TrialHandle>>& trial) {
  py::class_<Activation>(module, "Activation",
                         "One recorded tensor of a trial: .array (NumPy, float32) with .dims, "
                         "the name of each of its axes, outermost first.")
      .def_readonly("name", &Activation::name)
      .def_readonly("step", &Activation::step, "The training step it was recorded after.")
      .def_property_readonly(
          "array", [](const Activation& a) { return tensor_array(a.values, true); },
          "The values: a view of the array read from the file (every access the same memory).")
      .def_property_readonly(
          "dims", [](const Activation& a) { return py::tuple(dims_of(a)); },
          "The dimension names, e.g. ('example', 'head', 'query', 'key').")
      .def_readonly("heads", &Activation::heads,
                    "The heads kept along the head axis (record.heads), or None for all.")
      .def(
          "__iter__",
          [](const Activation& a) {
            return py::iter(py::make_tuple(tensor_array(a.values, true), py::tuple(dims_of(a))));
          },
          "array, dims = trial.activations(name)")
      .def("__repr__", [](const Activation& a) {
        return fmt::format("<attnlab.Activation {} at step {}: {} [{}]>", a.name, a.step,
                           shape_string(a.values.shape()), fmt::join(a.dims, ", "));
      });

  trial
      .def(
          "activation_steps",
          [](const TrialHandle& t) {
            const std::string path = t.finished_file("recorded activations").string();
            return without_gil(
                [&] { return recorded_steps(Hdf5File(path, Hdf5File::Mode::read)); });
          },
          "The steps activations were recorded after (record.every, and the last step).")
      .def(
          "activation_names",
          [](const TrialHandle& t, const std::optional<int64_t>& step) {
            const std::string path = t.finished_file("recorded activations").string();
            return without_gil([&] {
              const Hdf5File file(path, Hdf5File::Mode::read);
              return names_at(file, chosen_step(file, step));
            });
          },
          py::arg("step") = py::none(),
          "The dotted names recorded at `step` (the last recording step by default).")
      .def(
          "activations",
          [](const TrialHandle& t, const std::string& name, const std::optional<int64_t>& step) {
            const std::string path = t.finished_file("recorded activations").string();
            return without_gil([&] { return read_activation(path, name, step); });
          },
          py::arg("name"), py::arg("step") = py::none(),
          "The recorded tensor `name` (a dotted name, e.g. 'decoder.layers.0.self_attn.weights') "
          "at `step` (the last recording step by default): an Activation with .array and .dims "
          "(it also unpacks: array, dims = trial.activations(name)). ConfigError naming what was "
          "recorded when it was not.")
      .def(
          "recorded_inputs",
          [](const TrialHandle& t) {
            const std::string path = t.finished_file("recorded inputs").string();
            auto inputs = without_gil([&] { return read_inputs(path); });
            py::dict arrays;
            for (auto& [name, values] : inputs)
              arrays[py::str(name)] = vector_array(std::move(values.first), values.second);
            return arrays;
          },
          "The examples its activations were recorded on, {name: int32 array}: source, "
          "target_input (the decoder's input), targets (-100: not scored), source_lengths "
          "(where the task pads), as the file holds them.");
}

}  // namespace attnlab::python
