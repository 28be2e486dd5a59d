// Model.set_head_gates: per-head gates xi [h] multiplying each head's output
// before W_O (MultiHeadAttention::set_head_gates, Michel et al. 2019): 1 keeps
// a head, 0 removes it, anything else scales it; what `attnlab ablate` sets.
// Keys are dotted patterns over the attention modules' paths
// ("decoder.layers.0.self_attn", "**.cross_attn"); every key and value is
// checked before any gate changes, and a variant that cannot gate its heads
// leaves every gate as it was.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/nn/dotted_pattern.hpp"
#include "compute_lock.hpp"
#include "model_handle.hpp"

namespace attnlab::python {
namespace {

using AttentionModules = std::vector<std::pair<std::string, MultiHeadAttention*>>;

// One module's new gates; nullopt removes them.
struct GateChange {
  std::string module;
  MultiHeadAttention* attention = nullptr;
  std::optional<std::vector<float>> gates;
};

std::vector<std::string> paths_of(const AttentionModules& modules) {
  std::vector<std::string> paths;
  for (const auto& module : modules) paths.push_back(module.first);
  return paths;
}

std::optional<std::vector<float>> gates_of(const py::handle& value, const std::string& module,
                                           int64_t heads) {
  if (value.is_none()) return std::nullopt;
  const Tensor given = tensor_from_python(value, fmt::format("head gates of {}", module));
  if (given.rank() != 1 || given.size(0) != heads)
    throw ConfigError(fmt::format("head gates of {}: found shape {}, expected [{}] (one per head)",
                                  module, shape_string(given.shape()), heads));
  for (const float gate : given.values())
    if (!std::isfinite(gate))
      throw ConfigError(
          fmt::format("head gates of {}: found {}, expected finite numbers", module, gate));
  return given.to_vector();
}

// Every change `gates` asks for, checked; nothing applied yet.
std::vector<GateChange> changes_of(const AttentionModules& modules, const py::object& gates) {
  std::vector<GateChange> changes;
  if (gates.is_none()) {
    for (const auto& module : modules)
      changes.push_back({module.first, module.second, std::nullopt});
    return changes;
  }
  if (!py::isinstance<py::dict>(gates))
    throw ConfigError(fmt::format(
        "set_head_gates: found {}, expected {{module pattern: gates [heads] or None}}, or None "
        "to remove every gate",
        py::repr(gates).cast<std::string>()));
  for (const auto item : gates.cast<py::dict>()) {
    const std::string pattern = py::str(item.first).cast<std::string>();
    bool matched = false;
    for (const auto& module : modules) {
      if (!matches_dotted_pattern(pattern, module.first)) continue;
      matched = true;
      changes.push_back({module.first, module.second,
                         gates_of(item.second, module.first, module.second->heads())});
    }
    if (!matched)
      throw ConfigError(
          fmt::format("set_head_gates: '{}' matches no attention module; the "
                      "model's are: {}",
                      pattern, fmt::join(paths_of(modules), ", ")));
  }
  return changes;
}

void set_gates(MultiHeadAttention& attention, const std::optional<std::vector<float>>& gates) {
  attention.set_head_gates(
      gates ? Tensor::from_values({static_cast<int64_t>(gates->size())}, *gates) : Tensor());
}

void set_head_gates(ModelHandle& model, const py::object& gates) {
  const AttentionModules modules = model.saved().model().attention_modules();
  const std::vector<GateChange> changes = changes_of(modules, gates);
  without_gil([&] {
    auto& current = model.gates();
    std::vector<GateChange> done;
    try {
      for (const GateChange& change : changes) {
        set_gates(*change.attention, change.gates);
        done.push_back(change);
      }
    } catch (const Error&) {
      for (const GateChange& change : done) {  // back to what they were
        const auto before = current.find(change.module);
        set_gates(*change.attention, before == current.end()
                                         ? std::nullopt
                                         : std::optional<std::vector<float>>(before->second));
      }
      throw;
    }
    for (const GateChange& change : changes) {
      if (change.gates)
        current[change.module] = *change.gates;
      else
        current.erase(change.module);
    }
  });
}

py::dict head_gates(ModelHandle& model) {
  // A copy taken under the compute lock: set_head_gates changes the table
  // without the GIL, from any thread.
  const auto table = without_gil([&] { return model.gates(); });
  py::dict gates;
  for (const auto& entry : table)
    gates[py::str(entry.first)] =
        vector_array(entry.second, {static_cast<int64_t>(entry.second.size())});
  return gates;
}

py::list attention_modules(ModelHandle& model) {
  py::list modules;
  for (const auto& module : model.saved().model().attention_modules())
    modules.append(py::make_tuple(module.first, module.second->heads()));
  return modules;
}

}  // namespace

void bind_head_gates(ModelClass& model) {
  model
      .def("set_head_gates", &set_head_gates, py::arg("gates"),
           "Sets per-head gates: {module pattern: gates} with one gate per head (1 keeps a "
           "head, 0 removes it; a value None removes that module's gates), or None to remove "
           "every gate. Patterns match attention modules' dotted paths ('**.self_attn'). "
           "ConfigError, with nothing changed, for a pattern matching no module, gates of "
           "another length, or a variant that cannot gate its heads.")
      .def_property_readonly("head_gates", &head_gates,
                             "The gates set, {module path: array [heads]} (a copy).")
      .def_property_readonly(
          "attention_modules", &attention_modules,
          "Every attention module as (dotted path, heads), in model order: what set_head_gates "
          "patterns match.");
}

}  // namespace attnlab::python
