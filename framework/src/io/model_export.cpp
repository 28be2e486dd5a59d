#include "attnlab/io/model_export.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/safetensors.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/version.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int64_t kInterchangeVersion = 1;

// A YAML scalar as the JSON value it means: an integer, a finite number, a
// boolean, null, or else its text.
Json scalar_json(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text.empty() || text == "null" || text == "~") return nullptr;
  int64_t integer = 0;
  const char* end = text.data() + text.size();
  if (const auto [at, error] = std::from_chars(text.data(), end, integer);
      error == std::errc() && at == end)
    return integer;
  char* parsed_to = nullptr;
  const double number = std::strtod(text.c_str(), &parsed_to);
  if (parsed_to == text.c_str() + text.size() && std::isfinite(number)) return number;
  return text;
}

Json config_json(const ConfigNode& node) {
  if (node.is_scalar()) return scalar_json(node.text());
  if (node.is_null()) return nullptr;
  if (node.is_sequence()) {
    Json items = Json::array();
    for (const ConfigNode& item : node.items()) items.push_back(config_json(item));
    return items;
  }
  Json members = Json::object();
  for (const auto& entry : node.entries()) members[entry.key] = config_json(entry.value);
  return members;
}

// Every dataset under `group`, by its dotted parameter name.
void collect_parameters(const Hdf5File& file, const std::string& group, const std::string& prefix,
                        SafetensorsContent& content) {
  for (const std::string& child : file.children(group)) {
    const std::string path = group + "/" + child;
    const std::string name = prefix.empty() ? child : prefix + "." + child;
    if (file.is_group(path))
      collect_parameters(file, path, name, content);
    else
      content.tensors.emplace_back(name, file.read_tensor(path));
  }
}

}  // namespace

ExportedModel export_model(const fs::path& trial_file, const fs::path& directory) {
  const Hdf5File file(trial_file.string(), Hdf5File::Mode::read);
  check_file(file, file_kinds::trial, true);
  if (!file.contains(trial_paths::parameters))
    throw IoError(
        fmt::format("{}: holds no parameters (a trial of an older build, or not a "
                    "trained model)",
                    trial_file.string()));
  SafetensorsContent content;
  collect_parameters(file, trial_paths::parameters, "", content);
  const std::string config_yaml = file.string_attribute("/", "config_yaml");
  const std::string id = file.string_attribute("/", "trial_id");
  content.metadata = {{"format", "attnlab"},
                      {"format_version", std::to_string(kInterchangeVersion)},
                      {"attnlab_version", version()},
                      {"trial_id", id},
                      {"config_yaml", config_yaml}};

  Json shapes = Json::object();
  for (const auto& [name, tensor] : content.tensors) shapes[name] = tensor.shape();
  const Json config = {
      {"format", "attnlab"},
      {"format_version", kInterchangeVersion},
      {"attnlab_version", version()},
      {"source", fs::absolute(trial_file).lexically_normal().string()},
      {"trial_id", id},
      {"arm", file.string_attribute("/", "arm")},
      {"seed", file.int_attribute("/", "seed")},
      {"weights", "model.safetensors"},
      {"tied", Json::object()},  // no attnlab model shares a tensor between two names
      {"parameters", shapes},
      {"config", config_json(parse_yaml(config_yaml, trial_file.string() + ":config_yaml",
                                        kWrittenYamlBounds))}};

  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    throw IoError(
        fmt::format("{}: cannot create the folder: {}", directory.string(), error.message()));
  ExportedModel exported{directory / "model.safetensors", directory / "config.json",
                         static_cast<int64_t>(content.tensors.size())};
  write_safetensors(exported.weights, content);
  write_file_atomically(exported.config, config.dump(2) + "\n");
  return exported;
}

}  // namespace attnlab
