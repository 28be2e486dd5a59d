// attnlab.plugins(): what `attnlab plugins --json` lists, as records (one dict
// per component, every kind in one list); attnlab.load_plugins(): what
// `--plugin LIBRARY` and an experiment's `plugins:` load.
#include <string>
#include <vector>

#include "attnlab/plugin.hpp"
#include "attnlab/registry/component_kinds.hpp"
#include "bindings.hpp"
#include "compute_lock.hpp"

namespace attnlab::python {
namespace {

py::dict parameter_record(const ParameterSpec& parameter) {
  py::dict record;
  record["name"] = parameter.name;
  record["type"] = to_string(parameter.type);
  record["expected"] = describe_expected(parameter);
  record["default"] = parameter.default_value;
  record["doc"] = parameter.doc;
  return record;
}

template <class Component>
void append_records(const EntriesOf<Component>& entries, py::list& records) {
  using Capabilities = typename Registry<Component>::Capabilities;
  for (const auto& entry : entries) {
    py::dict capabilities;
    for (const auto& field : Capabilities::fields())
      capabilities[field.name] = entry.capabilities.*field.member;
    py::list parameters;
    for (const ParameterSpec& parameter : entry.parameters)
      parameters.append(parameter_record(parameter));
    py::dict record;
    record["kind"] = Component::kKey;
    record["name"] = entry.name;
    record["description"] = entry.description;
    record["origin"] = entry.origin;
    record["capabilities"] = capabilities;
    record["parameters"] = parameters;
    records.append(record);
  }
}

py::list plugins() {
  // Copied under the compute lock: load_plugins in another thread may be adding to them.
  const auto entries = without_gil([] {
    ComponentKinds::Tuple<EntriesOf> copied;
    ComponentKinds::for_each([&]<class Component>() {
      std::get<EntriesOf<Component>>(copied) = registry_of<Component>().entries();
    });
    return copied;
  });
  py::list records;
  ComponentKinds::for_each([&]<class Component>() {
    append_records<Component>(std::get<EntriesOf<Component>>(entries), records);
  });
  return records;
}

// One path or a list of them, in order; the absolute paths loaded.
std::vector<std::string> load_plugins(const std::vector<std::filesystem::path>& paths) {
  return without_gil([&] {
    std::vector<std::string> loaded;
    for (const std::filesystem::path& path : paths)
      loaded.push_back(load_plugin(path.string()).string());
    return loaded;
  });
}

}  // namespace

void bind_plugins(py::module_& module) {
  module.def("plugins", &plugins,
             "Every registered component (attention variants, positional encodings, head "
             "layouts, tasks) as one record each: kind, name, description, origin (built-in or "
             "the library), capabilities {name: bool} and parameters [{name, type, expected, "
             "default, doc}], as `attnlab plugins --json` lists them.");
  module.def(
      "load_plugins", [](const std::filesystem::path& path) { return load_plugins({path}); },
      py::arg("path"),
      "Loads a plugin library (absolute, relative to the current directory, or found on "
      "ATTNLAB_PLUGIN_PATH); loading one twice is a no-op. Returns [its absolute path]. "
      "ConfigError naming the library when it cannot be loaded.");
  module.def("load_plugins", &load_plugins, py::arg("paths"),
             "Loads several plugin libraries in order; returns their absolute paths.");
}

}  // namespace attnlab::python
