// A resolved trial configuration as a Python dict, each value typed as its key
// is declared: the same dict as config.json's "config" (configuration_json in
// io/model_export.hpp), so that attnlab.torch_model.build takes it as it is.
#pragma once

#include <string>

#include "attnlab/experiment/config_tree.hpp"
#include "bindings.hpp"

namespace attnlab::python {

py::dict configuration_dict(const ConfigNode& resolved);
/// The same from the YAML text a file stores (its config_yaml); `origin` names
/// it in errors.
py::dict configuration_dict(const std::string& yaml, const std::string& origin);

}  // namespace attnlab::python
