#include "attnlab/io/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"

namespace attnlab {
namespace {

constexpr std::string_view kSchemaAttribute = file_kinds::checkpoint.schema_attribute;

// Dotted names of every dataset under /parameters.
std::set<std::string> stored_parameters(const Hdf5File& file) {
  std::set<std::string> names;
  std::function<void(const std::string&, const std::string&)> walk =
      [&](const std::string& group, const std::string& dotted) {
        for (const std::string& child : file.children(group)) {
          const std::string path = group + "/" + child;
          const std::string name = dotted.empty() ? child : dotted + "." + child;
          if (file.is_group(path))
            walk(path, name);
          else
            names.insert(name);
        }
      };
  if (file.contains(trial_paths::parameters)) walk(trial_paths::parameters, "");
  return names;
}

}  // namespace

std::string checkpoint_dataset_path(std::string_view parameter_name) {
  return hdf5_path(trial_paths::parameters, parameter_name);
}

void write_parameters(Hdf5File& file, const Module& model) {
  file.set_attribute("/", std::string(kSchemaAttribute), kCheckpointSchemaVersion);
  for (const auto& [name, tensor] : model.named_parameters())
    file.write_tensor(checkpoint_dataset_path(name), tensor);
}

void save_checkpoint(const Module& model, const std::string& path) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    write_provenance(file, file_kinds::checkpoint);
    write_parameters(file, model);
  });
}

void load_checkpoint(const Module& model, const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::read);
  check_file(file, file_kinds::checkpoint);
  // Everything is read and checked before the first parameter changes, so a
  // file that does not fit leaves the model as it was.
  std::set<std::string> unexpected = stored_parameters(file);
  std::vector<std::pair<Tensor, Tensor>> targets_and_values;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const std::string dataset = checkpoint_dataset_path(name);
    if (!file.contains(dataset))
      throw IoError(
          fmt::format("{}: parameter '{}' is missing (expected at /{})", path, name, dataset));
    Tensor stored = file.read_tensor(dataset);
    if (stored.shape() != tensor.shape())
      throw IoError(fmt::format("{}: parameter '{}' has shape {} in the file but {} in the model",
                                path, name, shape_string(stored.shape()),
                                shape_string(tensor.shape())));
    targets_and_values.emplace_back(tensor, std::move(stored));
    unexpected.erase(name);
  }
  if (!unexpected.empty())
    throw IoError(fmt::format("{}: holds parameters this model does not have: {}", path,
                              fmt::join(unexpected, ", ")));
  for (auto& [target, stored] : targets_and_values)
    std::copy(stored.values().begin(), stored.values().end(), target.data());
}

}  // namespace attnlab
