// A trained model out of attnlab, for any tool that reads safetensors or
// torch.load's files: what `attnlab export` writes. Layout: docs/interchange.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "attnlab/named_choices.hpp"

namespace attnlab {

class ConfigNode;

/// The version of the interchange layout this build writes and reads up to
/// (config.json's format_version, and the safetensors metadata's).
inline constexpr int64_t kInterchangeVersion = 1;
/// The two files of an exported model, in its folder.
inline constexpr const char* kWeightsFileName = "model.safetensors";
inline constexpr const char* kConfigFileName = "config.json";

/// What the weights are written as.
enum class WeightsFormat {
  safetensors,  // model.safetensors
  torch,        // pytorch_model.bin: what torch.save writes for a state dict
};
/// "safetensors", "torch".
const NamedChoices<WeightsFormat>& weights_format_names();
/// The weights file an export of `format` writes beside config.json.
const char* weights_file_name(WeightsFormat format);

/// The files export_model wrote.
struct ExportedModel {
  std::filesystem::path weights;  // model.safetensors or pytorch_model.bin
  std::filesystem::path config;   // config.json
  int64_t parameters = 0;         // how many tensors
};

/// Writes into `directory` (created if missing; each file atomically):
/// model.safetensors, every parameter of trial file `trial_file` as float32
/// under its dotted name, the resolved configuration in its metadata (or, for
/// WeightsFormat::torch, pytorch_model.bin: the same tensors as a state dict
/// torch.load reads); and
/// config.json, that configuration as JSON with the trial's id, arm, seed and
/// each parameter's shape. IoError naming the file when it is not a finished,
/// undamaged trial file (its values' checksums are checked) or holds no
/// parameters.
ExportedModel export_model(const std::filesystem::path& trial_file,
                           const std::filesystem::path& directory,
                           WeightsFormat format = WeightsFormat::safetensors);

/// A resolved trial configuration as JSON text, each value typed as its key
/// is declared (the schema's keys, and the parameters of the components it
/// chooses; a plugin's component that is not loaded keeps its values as text):
/// what config.json's "config" holds, and what the Python module gives as a dict.
std::string configuration_json(const ConfigNode& resolved);

}  // namespace attnlab
