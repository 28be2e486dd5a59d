#include "attnlab/io/parameter_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/model_export.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/safetensors.hpp"
#include "data_digest.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

std::map<std::string, Tensor> read_safetensors_parameters(const fs::path& path) {
  std::map<std::string, Tensor> stored;
  for (auto& [name, tensor] : read_safetensors(path).tensors) stored.emplace(name, tensor);
  return stored;
}

std::map<std::string, Tensor> read_hdf5_parameters(const fs::path& path) {
  try {
    check_file_at(path.string());  // in a child: HDF5 may crash on a damaged file
  } catch (const IoError& e) {
    throw IoError(
        fmt::format("{} (expected a checkpoint, a trial file, a .safetensors file or "
                    "a folder of attnlab export)",
                    e.what()));
  }
  const Hdf5File file(path.string(), Hdf5File::Mode::read);
  const FileKind& kind = file_kind_of(file);
  if (kind.name != file_kinds::trial.name && kind.name != file_kinds::checkpoint.name)
    throw IoError(fmt::format(
        "{}: is an attnlab {} file, which holds no model's parameters; give a checkpoint, a "
        "trial file of a run (OUTPUT/trials/<id>.h5) or a .safetensors file",
        path.string(), kind.name));
  check_file(file, kind);
  return read_stored_parameters(file);
}

}  // namespace

bool is_torch_weights(const fs::path& path) {
  return path.extension() == ".bin" || path.extension() == ".pt" || path.extension() == ".pth";
}

void refuse_torch_weights(const fs::path& path) {
  throw IoError(fmt::format(
      "{}: is a torch.save file (attnlab export --format torch), which attnlab does not read "
      "back (unpickling can run code); export with --format safetensors, or save from PyTorch "
      "with attnlab.torch_model.save",
      path.string()));
}

std::map<std::string, Tensor> read_parameter_file(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status))
    throw IoError(
        fmt::format("{}: no such file (expected a checkpoint, a trial file, a "
                    ".safetensors file or a folder of attnlab export)",
                    path.string()));
  const bool folder = fs::is_directory(status);
  const fs::path torch_weights = path / weights_file_name(WeightsFormat::torch);
  if (folder && !fs::exists(path / kWeightsFileName) && fs::exists(torch_weights))
    refuse_torch_weights(torch_weights);
  if (folder && !fs::exists(path / kWeightsFileName))
    throw IoError(fmt::format("{}: is a folder without {} (a folder of attnlab export holds it)",
                              path.string(), kWeightsFileName));
  if (!folder && is_torch_weights(path)) refuse_torch_weights(path);
  std::map<std::string, Tensor> stored =
      folder                               ? read_safetensors_parameters(path / kWeightsFileName)
      : path.extension() == ".safetensors" ? read_safetensors_parameters(path)
                                           : read_hdf5_parameters(path);
  if (stored.empty()) throw IoError(fmt::format("{}: holds no parameters", path.string()));
  for (const auto& [name, tensor] : stored) {
    const std::span<const float> values = tensor.values();
    const auto bad = std::find_if(values.begin(), values.end(),
                                  [](float value) { return !std::isfinite(value); });
    if (bad != values.end())
      throw IoError(
          fmt::format("{}: parameter '{}' holds {} at index {}: training cannot start "
                      "from values that are not finite",
                      path.string(), name, *bad, bad - values.begin()));
  }
  return stored;
}

InitialWeights load_initial_weights(const Module& model, const fs::path& path, bool strict) {
  const std::map<std::string, Tensor> stored = read_parameter_file(path);
  const ParameterFit fit = fit_parameters(model, stored);
  const std::string hint =
      strict ? " (train.init_from_strict: false loads the parameters that match)" : "";
  if ((strict && !fit.exact()) || fit.matching.empty())
    throw IoError(fmt::format("{}: does not fit this model{}: {}{}", path.string(),
                              fit.matching.empty() ? ", not one parameter matches" : "",
                              fit.problems(), hint));
  assign_matching_parameters(model, stored, fit);
  InitialWeights loaded;
  loaded.loaded = static_cast<int64_t>(fit.matching.size());
  loaded.of = static_cast<int64_t>(model.named_parameters().size());
  uint64_t digest = 0, index = 0;
  for (const std::string& name : fit.matching) {
    const std::span<const float> values = stored.at(name).values();
    digest += detail::data_digest(values.data(), values.size(), sizeof(float), index);
    index += values.size();
  }
  loaded.digest = detail::digest_text(digest);
  loaded.account = fit.exact() ? fmt::format("all {} parameters from {}", loaded.of, path.string())
                               : fmt::format("{} of {} parameters from {}; not loaded: {}",
                                             loaded.loaded, loaded.of, path.string(),
                                             fit.problems(std::numeric_limits<std::size_t>::max()));
  return loaded;
}

}  // namespace attnlab
