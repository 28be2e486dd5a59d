#include "config_dict.hpp"

#include "attnlab/io/model_export.hpp"

namespace attnlab::python {

py::dict configuration_dict(const ConfigNode& resolved) {
  return py::module_::import("json").attr("loads")(configuration_json(resolved)).cast<py::dict>();
}

py::dict configuration_dict(const std::string& yaml, const std::string& origin) {
  return configuration_dict(parse_yaml(yaml, origin, kWrittenYamlBounds));
}

}  // namespace attnlab::python
