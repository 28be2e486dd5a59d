// attnlab.Model: a trained model rebuilt from its file alone (a trial file of
// a run, or a checkpoint that stores its configuration: io/saved_model.hpp),
// as `attnlab eval` and `attnlab generate` rebuild it, for forward passes with
// recorded activations, head gates, parameters as NumPy arrays and generation.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/io/saved_model.hpp"
#include "bindings.hpp"

namespace attnlab::python {

class ModelHandle {
 public:
  /// Checks the file in a child process (HDF5 may crash or hang on a damaged
  /// one) as `attnlab generate` does, then rebuilds the model with the
  /// parameters of `step` (a record.parameters snapshot; its last without).
  /// Call without the GIL.
  ModelHandle(const std::filesystem::path& path, const std::optional<int64_t>& step);

  const SavedModel& saved() const { return *saved_; }
  SavedModel& saved() { return *saved_; }
  /// The gates set through set_head_gates, by attention module path.
  std::map<std::string, std::vector<float>>& gates() { return gates_; }

 private:
  std::unique_ptr<SavedModel> saved_;
  std::map<std::string, std::vector<float>> gates_;
};

using ModelClass = py::class_<ModelHandle, std::shared_ptr<ModelHandle>>;

/// Model.load(path, step), with the GIL released while the file is checked and read.
std::shared_ptr<ModelHandle> load_model(const std::filesystem::path& path,
                                        const std::optional<int64_t>& step = std::nullopt);

/// run_with_cache and ActivationCache (model_forward.cpp).
void bind_model_forward(py::module_& module, ModelClass& model);
/// set_head_gates, head_gates, attention_modules (head_gates.cpp).
void bind_head_gates(ModelClass& model);
/// generate (model_generate.cpp).
void bind_model_generate(ModelClass& model);

}  // namespace attnlab::python
