// Model parameters in HDF5, one float32 dataset per parameter. The dotted name
// "encoder.layers.0.self_attn.q_proj.weight" is stored at the HDF5 path
// "/parameters/encoder/layers/0/self_attn/q_proj/weight". Linear weights are
// [out_features, in_features] as in PyTorch's nn.Linear, so weights move across
// with a rename. Layout: docs/checkpoints.md.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/io/provenance.hpp"
#include "attnlab/nn/module.hpp"

namespace attnlab {

/// Layout version this build writes; a reader refuses files with a newer one.
inline constexpr int64_t kCheckpointSchemaVersion = file_kinds::checkpoint.schema;

/// HDF5 path of a parameter: "parameters/" + the dotted name with '.' as '/'.
std::string checkpoint_dataset_path(std::string_view parameter_name);

class Hdf5File;

/// Writes every parameter of `model` into an open file (with the schema
/// attribute on the root), e.g. a trial's results file.
void write_parameters(Hdf5File& file, const Module& model);

/// The root attribute holding the resolved trial configuration (YAML) a
/// model was built from: a trial file has it, and so does a checkpoint written
/// with one, which SavedModel then rebuilds from the file alone.
inline constexpr const char* kConfigAttribute = "config_yaml";

/// Writes every parameter of `model`, and `config_yaml` (its resolved trial
/// configuration) unless empty. The file appears only when complete (written
/// under a temporary name, then renamed).
void save_checkpoint(const Module& model, const std::string& path,
                     const std::string& config_yaml = "");

/// Overwrites every parameter of `model` from `path`. Throws IoError naming
/// the file and every parameter missing, of another shape, or that the model
/// does not have (assign_parameters), or a newer schema.
void load_checkpoint(const Module& model, const std::string& path);

/// Dotted names of every dataset under `group` of an open file (the inverse of hdf5_path).
std::set<std::string> dotted_datasets(const Hdf5File& file, const std::string& group);
/// Every tensor under `group` of an open file, by dotted name.
std::map<std::string, Tensor> read_tensor_tree(const Hdf5File& file, const std::string& group);
/// Every tensor under /parameters of an open file, by dotted name.
std::map<std::string, Tensor> read_stored_parameters(const Hdf5File& file);

/// How stored tensors fit a model's parameters, by dotted name.
struct ParameterFit {
  std::vector<std::string> matching;    // same name and shape
  std::vector<std::string> missing;     // the model's, absent from what is stored
  std::vector<std::string> mis_shaped;  // "'name' is [a, b] there but [c, d] in the model"
  std::vector<std::string> unexpected;  // stored, not the model's
  bool exact() const { return missing.empty() && mis_shaped.empty() && unexpected.empty(); }
  /// What does not fit, each kind listed (at most `shown` names each): "" when exact.
  std::string problems(std::size_t shown = 8) const;
};
ParameterFit fit_parameters(const Module& model, const std::map<std::string, Tensor>& stored);
/// Overwrites the parameters `fit` found matching; leaves the others as they are.
void assign_matching_parameters(const Module& model, const std::map<std::string, Tensor>& stored,
                                const ParameterFit& fit);

/// Overwrites every parameter of `model` with the tensor of its dotted name in
/// `stored`, after checking them all: IoError starting with `source` that lists
/// the names missing from `stored`, those `stored` has that the model does not,
/// and those of another shape (both shapes), leaving the model as it was.
void assign_parameters(const Module& model, const std::map<std::string, Tensor>& stored,
                       const std::string& source);

}  // namespace attnlab
