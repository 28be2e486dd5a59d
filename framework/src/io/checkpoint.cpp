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

}  // namespace

std::set<std::string> dotted_datasets(const Hdf5File& file, const std::string& group) {
  std::set<std::string> names;
  std::function<void(const std::string&, const std::string&)> walk =
      [&](const std::string& folder, const std::string& dotted) {
        for (const std::string& child : file.children(folder)) {
          const std::string path = folder + "/" + child;
          const std::string name = dotted.empty() ? child : dotted + "." + child;
          if (file.is_group(path))
            walk(path, name);
          else
            names.insert(name);
        }
      };
  if (file.contains(group)) walk(group, "");
  return names;
}

std::map<std::string, Tensor> read_tensor_tree(const Hdf5File& file, const std::string& group) {
  std::map<std::string, Tensor> stored;
  for (const std::string& name : dotted_datasets(file, group))
    stored.emplace(name, file.read_tensor(hdf5_path(group, name)));
  return stored;
}

std::map<std::string, Tensor> read_stored_parameters(const Hdf5File& file) {
  return read_tensor_tree(file, trial_paths::parameters);
}

std::string checkpoint_dataset_path(std::string_view parameter_name) {
  return hdf5_path(trial_paths::parameters, parameter_name);
}

void write_parameters(Hdf5File& file, const Module& model) {
  file.set_attribute("/", std::string(kSchemaAttribute), kCheckpointSchemaVersion);
  for (const auto& [name, tensor] : model.named_parameters())
    file.write_tensor(checkpoint_dataset_path(name), tensor);
}

void save_checkpoint(const Module& model, const std::string& path, const std::string& config_yaml) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    write_provenance(file, file_kinds::checkpoint);
    if (!config_yaml.empty()) file.set_attribute("/", kConfigAttribute, config_yaml);
    write_parameters(file, model);
  });
}

void load_checkpoint(const Module& model, const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::read);
  check_file(file, file_kinds::checkpoint);
  assign_parameters(model, read_stored_parameters(file), path);
}

ParameterFit fit_parameters(const Module& model, const std::map<std::string, Tensor>& stored) {
  ParameterFit fit;
  std::set<std::string> unexpected;
  for (const auto& entry : stored) unexpected.insert(entry.first);
  for (const auto& [name, tensor] : model.named_parameters()) {
    unexpected.erase(name);
    const auto found = stored.find(name);
    if (found == stored.end())
      fit.missing.push_back(name);
    else if (found->second.shape() != tensor.shape())
      fit.mis_shaped.push_back(fmt::format("'{}' is {} there but {} in the model", name,
                                           shape_string(found->second.shape()),
                                           shape_string(tensor.shape())));
    else
      fit.matching.push_back(name);
  }
  fit.unexpected.assign(unexpected.begin(), unexpected.end());
  return fit;
}

std::string ParameterFit::problems(std::size_t shown) const {
  const auto listed = [shown](const std::vector<std::string>& names) {
    std::vector<std::string> listed_names(names.begin(),
                                          std::next(names.begin(), std::min(names.size(), shown)));
    if (names.size() > shown)
      listed_names.push_back(fmt::format("and {} more", names.size() - shown));
    return fmt::format("{}", fmt::join(listed_names, ", "));
  };
  std::vector<std::string> missing_quoted;
  for (const std::string& name : missing) missing_quoted.push_back(fmt::format("'{}'", name));
  std::vector<std::string> problems;
  if (!missing.empty())
    problems.push_back(
        fmt::format("{} parameter(s) missing: {}", missing.size(), listed(missing_quoted)));
  if (!mis_shaped.empty())
    problems.push_back(
        fmt::format("{} of another shape: {}", mis_shaped.size(), listed(mis_shaped)));
  if (!unexpected.empty())
    problems.push_back(
        fmt::format("{} that this model does not have: {}", unexpected.size(), listed(unexpected)));
  return fmt::format("{}", fmt::join(problems, "; "));
}

void assign_matching_parameters(const Module& model, const std::map<std::string, Tensor>& stored,
                                const ParameterFit& fit) {
  std::map<std::string, Tensor> parameters;
  for (const auto& [name, parameter] : model.named_parameters())
    parameters.emplace(name, parameter);
  for (const std::string& name : fit.matching) {
    Tensor target = parameters.at(name);  // a handle on the parameter's values
    const std::span<const float> values = stored.at(name).values();
    std::copy(values.begin(), values.end(), target.data());
  }
}

void assign_parameters(const Module& model, const std::map<std::string, Tensor>& stored,
                       const std::string& source) {
  // Everything is checked before the first parameter changes, so values that
  // do not fit leave the model as it was.
  const ParameterFit fit = fit_parameters(model, stored);
  if (!fit.exact())
    throw IoError(fmt::format("{}: does not fit this model: {}", source, fit.problems()));
  assign_matching_parameters(model, stored, fit);
}

}  // namespace attnlab
