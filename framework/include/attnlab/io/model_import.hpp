// A model into attnlab from the two files `attnlab export` writes (or a tool
// that writes the same, such as attnlab's PyTorch module after training):
// what `attnlab import` does. Layout: docs/interchange.md.
#pragma once

#include <cstdint>
#include <filesystem>

namespace attnlab {

/// What import_model read and wrote.
struct ImportedModel {
  std::filesystem::path weights, config;  // the files read
  std::filesystem::path checkpoint;       // the file written
  int64_t parameters = 0;                 // how many tensors
};

/// Reads `source` (a folder holding model.safetensors and config.json, or a
/// .safetensors file with config.json beside it), builds the model that
/// config.json's configuration describes, checked as any experiment is, fills
/// it with the weights, and writes it to `checkpoint` (atomically) as a
/// checkpoint that stores its configuration: `attnlab eval` and SavedModel
/// read it. IoError naming the file when a file is missing, is not what it
/// should be, is of a newer interchange version, or its weights do not fit
/// the model (every missing, unexpected and mis-shaped name listed).
ImportedModel import_model(const std::filesystem::path& source,
                           const std::filesystem::path& checkpoint);

}  // namespace attnlab
