// attnlab.Model: loading, what the model is, and its parameters as NumPy
// arrays (state_dict: views of the live parameters; load_state_dict: strict,
// all or nothing, through assign_parameters).
#include "model_handle.hpp"

#include <fmt/format.h>

#include <map>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/plugin.hpp"
#include "compute_lock.hpp"
#include "config_dict.hpp"

namespace attnlab::python {

ModelHandle::ModelHandle(const std::filesystem::path& path, const std::optional<int64_t>& step) {
  check_file_at(path.string());  // in a child: HDF5 may crash on a damaged file
  saved_ = step ? std::make_unique<SavedModel>(path, *step) : std::make_unique<SavedModel>(path);
}

std::shared_ptr<ModelHandle> load_model(const std::filesystem::path& path,
                                        const std::optional<int64_t>& step) {
  if (step && *step < 0)
    throw ConfigError(fmt::format("step: found {}, expected a training step >= 0", *step));
  return without_gil([&] { return std::make_shared<ModelHandle>(path, step); });
}

namespace {

py::dict state_dict(const ModelHandle& model) {
  py::dict parameters;
  for (const auto& [name, parameter] : model.saved().model().module().named_parameters())
    parameters[py::str(name)] = tensor_array(parameter, true);
  return parameters;
}

// Every value is converted (a copy) before the model is touched; then
// assign_parameters checks every name and shape before it changes any.
void load_state_dict(ModelHandle& model, const py::handle& given) {
  if (!py::isinstance<py::dict>(given) && !py::hasattr(given, "items"))
    throw ConfigError(
        fmt::format("load_state_dict: found a {}, expected a mapping {{name: array}}",
                    py::str(py::type::of(given).attr("__name__")).cast<std::string>()));
  std::map<std::string, Tensor> stored;
  for (const py::handle item : given.attr("items")()) {
    const auto pair = item.cast<py::tuple>();
    if (!py::isinstance<py::str>(pair[0]))
      throw ConfigError(fmt::format("load_state_dict: found the key {}, expected dotted names",
                                    py::repr(pair[0]).cast<std::string>()));
    const auto name = pair[0].cast<std::string>();
    stored.emplace(name, tensor_from_python(pair[1], fmt::format("load_state_dict['{}']", name)));
  }
  without_gil([&] {
    try {
      assign_parameters(model.saved().model().module(), stored, "load_state_dict");
    } catch (const IoError& e) {
      throw ConfigError(e.what());  // not a file's fault: the argument does not fit
    }
  });
}

std::string readout_of(const ModelHandle& model) {
  return model.saved().spec().model.readout == ClassifierHead::sequence ? "sequence" : "token";
}

std::string describe(const ModelHandle& model) {
  const TrialSpec& spec = model.saved().spec();
  return fmt::format(
      "<attnlab.Model {} of {}: {} on {}, d_model {}, {} heads, {} layers>", model.saved().kind(),
      model.saved().path().string(), to_string(spec.shape), spec.task.name, spec.model.d_model,
      spec.model.heads,
      spec.shape == ModelShape::encoder ? spec.model.encoder_layers : spec.model.decoder_layers);
}

}  // namespace

void bind_model(py::module_& module) {
  ModelClass model(module, "Model",
                   "A trained model rebuilt from its file alone: Model.load(path) with a trial "
                   "file of a run or a checkpoint that stores its configuration.");
  model
      .def_static("load", &load_model, py::arg("path"), py::arg("step") = py::none(),
                  "Reads `path` (checked as every reader checks it: kind, schema, seal, "
                  "checksums; in a child process), rebuilds its model and loads its parameters: "
                  "its last, or with `step` those a trial stored at that record.every step "
                  "(record.parameters), as `attnlab eval --step` takes them. IoError naming the "
                  "file when it is missing, damaged, of another kind, a checkpoint without its "
                  "configuration, or holds no parameters of `step` (the steps it has named).")
      .def_property_readonly(
          "step", [](const ModelHandle& m) { return m.saved().step(); },
          "The training step whose parameters it holds.")
      .def_property_readonly("path", [](const ModelHandle& m) { return m.saved().path().string(); })
      .def_property_readonly(
          "kind", [](const ModelHandle& m) { return m.saved().kind(); },
          "'trial' or 'checkpoint': the file it was read from.")
      .def_property_readonly(
          "shape", [](const ModelHandle& m) { return to_string(m.saved().spec().shape); },
          "'encoder', 'decoder' or 'encoder_decoder' (model.architecture).")
      .def_property_readonly("task",
                             [](const ModelHandle& m) { return m.saved().spec().task.name; })
      .def_property_readonly(
          "vocab_size", [](const ModelHandle& m) { return m.saved().spec().model.vocab_size; },
          "Token ids of its input (an encoder-decoder's source) are 0 to vocab_size - 1.")
      .def_property_readonly(
          "target_vocab_size",
          [](const ModelHandle& m) { return m.saved().spec().model.target_vocab(); },
          "Token ids of an encoder-decoder's target input are 0 to target_vocab_size - 1.")
      .def_property_readonly(
          "byte_tokens",
          [](const ModelHandle& m) {
            return task_registry().find(m.saved().spec().task.name).capabilities.byte_tokens;
          },
          "Whether its tokens are the bytes of a text (char_lm): generate then takes a str.")
      .def_property_readonly(
          "readout", &readout_of,
          "How it reads its answers out: 'sequence' (an encoder with one class per sequence) "
          "or 'token'; attnlab.torch_model.build takes it.")
      .def_property_readonly("config_yaml",
                             [](const ModelHandle& m) { return m.saved().config_yaml(); })
      .def_property_readonly(
          "config",
          [](const ModelHandle& m) {
            return configuration_dict(m.saved().config_yaml(), m.saved().path().string());
          },
          "The resolved configuration it was built and trained under, each value typed as its "
          "key is declared (config.json's \"config\").")
      .def("state_dict", &state_dict,
           "Every parameter under its dotted name as a float32 NumPy array that is a view of the "
           "parameter itself, no copy: writing into one changes the model (and an array keeps "
           "its values alive after the model is gone). .copy() one to keep it as it is now.")
      .def("load_state_dict", &load_state_dict, py::arg("state_dict"),
           "Overwrites every parameter from {dotted name: array} (NumPy arrays, torch tensors, "
           "lists; any real dtype, stored as float32), strictly: ConfigError listing the "
           "missing, unexpected and mis-shaped names, and then nothing changes.")
      .def("__repr__", &describe);
  bind_model_forward(module, model);
  bind_head_gates(model);
  bind_model_generate(model);
}

}  // namespace attnlab::python
