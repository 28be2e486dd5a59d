// A model's parameters by dotted name from any file attnlab keeps weights in:
// what train.init_from starts a trial from.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "attnlab/nn/module.hpp"
#include "attnlab/tensor.hpp"

namespace attnlab {

/// Every parameter `path` holds: a checkpoint or a trial file (HDF5, checked
/// as its kind's readers check it, first in a child process, as HDF5 may crash
/// on a damaged file), a .safetensors file (attnlab export,
/// attnlab.torch_model.save), or a folder of attnlab export. IoError naming
/// the file when it does not exist, is none of these, is damaged or of a newer
/// schema, or holds no parameters.
std::map<std::string, Tensor> read_parameter_file(const std::filesystem::path& path);

/// Whether `path` is named as torch.save's files are (.bin, .pt, .pth).
bool is_torch_weights(const std::filesystem::path& path);
/// IoError naming `path`, a torch.save file, which attnlab writes (export
/// --format torch) but never reads: unpickling can run code.
[[noreturn]] void refuse_torch_weights(const std::filesystem::path& path);

/// What load_initial_weights put into a model.
struct InitialWeights {
  int64_t loaded = 0, of = 0;  // parameters loaded, of the model's
  std::string account;         // one line: what was loaded from where, and what was not
  std::string digest;          // of the loaded values, in name order (16 hex digits)
};

/// Overwrites `model`'s parameters with those `path` holds (read_parameter_file):
/// with `strict`, every one, by name and shape, or IoError naming the file and
/// listing every missing, unexpected and mis-shaped name, leaving the model as
/// it was; without, those that match by name and shape (IoError when none
/// does), the others kept as initialized.
InitialWeights load_initial_weights(const Module& model, const std::filesystem::path& path,
                                    bool strict);

}  // namespace attnlab
