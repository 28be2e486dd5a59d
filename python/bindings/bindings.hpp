// The parts of the attnlab._core extension module, one concern each; module.cpp
// calls every bind_* function once, in this order (later parts use the
// exception types and classes of earlier ones in their signatures).
#pragma once

#include <pybind11/pybind11.h>
// In every part alike (pybind11 asks it: a type converted one way in one file
// and another way in another breaks the one-definition rule): lists, dicts,
// optionals and paths convert to and from their C++ types.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <string>

namespace attnlab::python {

namespace py = pybind11;

/// attnlab.Error and its subclasses, and the translation of every attnlab
/// exception into them (errors.cpp).
void bind_errors(py::module_& module);
/// version(), threads(), set_threads() (module.cpp keeps these three).
void bind_process_settings(py::module_& module);
/// plugins(), load_plugins() (plugins.cpp).
void bind_plugins(py::module_& module);
/// plan() (experiments.cpp).
void bind_experiments(py::module_& module);
/// A path given from Python (str or os.PathLike, pybind11's filesystem caster) as text.
inline std::optional<std::string> path_text(const std::optional<std::filesystem::path>& path) {
  return path ? std::optional<std::string>(path->string()) : std::nullopt;
}

/// Model and ActivationCache (model_handle.cpp, model_forward.cpp,
/// head_gates.cpp, model_generate.cpp).
void bind_model(py::module_& module);
/// Output, Trial and Activation, and open() (output_dir.cpp): after
/// bind_model, whose Model Trial.model() returns.
void bind_output_dir(py::module_& module);
/// run() (runs.cpp): after bind_output_dir, whose Output it returns.
void bind_runs(py::module_& module);
/// compare_json() (comparison.cpp; attnlab.compare shapes it into records).
void bind_comparison(py::module_& module);

}  // namespace attnlab::python
