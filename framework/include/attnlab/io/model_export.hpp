// A trained model out of attnlab, for any tool that reads safetensors: what
// `attnlab export` writes. Layout: docs/interchange.md.
#pragma once

#include <cstdint>
#include <filesystem>

namespace attnlab {

/// The version of the interchange layout this build writes and reads up to
/// (config.json's format_version, and the safetensors metadata's).
inline constexpr int64_t kInterchangeVersion = 1;
/// The two files of an exported model, in its folder.
inline constexpr const char* kWeightsFileName = "model.safetensors";
inline constexpr const char* kConfigFileName = "config.json";

/// The files export_model wrote.
struct ExportedModel {
  std::filesystem::path weights;  // model.safetensors
  std::filesystem::path config;   // config.json
  int64_t parameters = 0;         // how many tensors
};

/// Writes into `directory` (created if missing; each file atomically):
/// model.safetensors, every parameter of trial file `trial_file` as float32
/// under its dotted name, the resolved configuration in its metadata; and
/// config.json, that configuration as JSON with the trial's id, arm, seed and
/// each parameter's shape. IoError naming the file when it is not a finished,
/// undamaged trial file (its values' checksums are checked) or holds no
/// parameters.
ExportedModel export_model(const std::filesystem::path& trial_file,
                           const std::filesystem::path& directory);

}  // namespace attnlab
