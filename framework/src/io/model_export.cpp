#include "attnlab/io/model_export.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "../experiment/schema.hpp"
#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/safetensors.hpp"
#include "attnlab/io/saved_model.hpp"
#include "attnlab/io/torch_state_dict.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/version.hpp"
#include "isolated_read.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using schema::ValueType;

// Each key's declared type, by dotted path: the schema's keys, and the
// parameters of the components the configuration chose.
std::map<std::string, ValueType> declared_types(const ConfigNode& config) {
  std::map<std::string, ValueType> types;
  for (const schema::KeySpec& spec : schema::trial_keys()) types[spec.path] = spec.type;
  for (const schema::ComponentSection& section : schema::component_sections()) {
    const ConfigNode* chosen = config.at_path(section.section + "." + section.selector);
    if (chosen == nullptr || !chosen->is_scalar()) continue;
    types[section.section + "." + section.selector] = ValueType::text;
    try {
      for (const ParameterSpec& parameter : section.parameters_of(chosen->text()))
        types[section.section + "." + parameter.name] =
            parameter.type == ParameterType::integer   ? ValueType::integer
            : parameter.type == ParameterType::number  ? ValueType::number
            : parameter.type == ParameterType::boolean ? ValueType::boolean
                                                       : ValueType::text;
    } catch (const Error&) {  // a plugin's component, not loaded here: its values stay text
    }
  }
  return types;
}

// A scalar as its declared type says (a number JSON cannot hold, such as
// infinity, stays text); an undeclared one as its text.
Json typed_scalar(const std::string& text, const ValueType* type) {
  if (type == nullptr || *type == ValueType::text || *type == ValueType::text_list) return text;
  if (*type == ValueType::boolean) return text == "true";
  if (*type == ValueType::integer || *type == ValueType::integer_list) return std::stoll(text);
  const double number = std::stod(text);
  return std::isfinite(number) ? Json(number) : Json(text);
}

Json typed_json(const ConfigNode& node, const std::string& path,
                const std::map<std::string, ValueType>& types) {
  const auto declared = types.find(path);
  const ValueType* type = declared == types.end() ? nullptr : &declared->second;
  if (node.is_null()) return nullptr;
  if (node.is_scalar()) return typed_scalar(node.text(), type);
  if (node.is_sequence()) {
    Json items = Json::array();
    for (const ConfigNode& item : node.items())
      items.push_back(type != nullptr && *type == ValueType::task_settings
                          ? typed_json(item, "task", types)  // each a map of task parameters
                          : typed_json(item, path, types));
    return items;
  }
  Json members = Json::object();
  for (const auto& entry : node.entries())
    members[entry.key] =
        typed_json(entry.value, path.empty() ? entry.key : path + "." + entry.key, types);
  return members;
}

// How the model reads its answers out: "sequence" (one class per sequence,
// from the mean of the valid final states: an encoder on a task that labels
// sequences) or "token" (one row of logits per position). The task's declared
// capability decides it, which the configuration alone does not say; null
// when the task is a plugin's that cannot be loaded here.
Json readout_of(const ConfigNode& config) {
  try {
    const BuiltTrial built = build_trial(config);
    return built.spec.model.readout == ClassifierHead::sequence ? "sequence" : "token";
  } catch (const Error&) {
    return nullptr;
  }
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

// The two files' texts, made from the trial file alone, and how many tensors.
struct ExportTexts {
  std::string weights, config;
  std::size_t tensors = 0;
};

ExportTexts export_texts(const fs::path& trial_file, WeightsFormat format) {
  const std::string path = trial_file.string();
  const Hdf5File file(path, Hdf5File::Mode::read);
  const std::string config_yaml = model_configuration(file, path, true);
  SafetensorsContent content;
  if (file.contains(trial_paths::parameters))
    collect_parameters(file, trial_paths::parameters, "", content);
  if (content.tensors.empty())
    throw IoError(
        fmt::format("{}: holds no parameters (a trial of an older build, or not a "
                    "trained model)",
                    path));
  // A checkpoint's model is the trial its configuration hashes to, as a trial file's is.
  const std::string id = file.has_attribute("/", "trial_id")
                             ? file.string_attribute("/", "trial_id")
                             : config_hash(config_yaml);
  content.metadata = {{"format", "attnlab"},
                      {"format_version", std::to_string(kInterchangeVersion)},
                      {"attnlab_version", version()},
                      {"trial_id", id},
                      {"config_yaml", config_yaml}};
  Json shapes = Json::object();
  for (const auto& [name, tensor] : content.tensors) shapes[name] = tensor.shape();
  const ConfigNode config = parse_yaml(config_yaml, path + ":config_yaml", kWrittenYamlBounds);
  const Json json = {
      {"format", "attnlab"},
      {"format_version", kInterchangeVersion},
      {"attnlab_version", version()},
      {"source", fs::absolute(trial_file).lexically_normal().string()},
      {"trial_id", id},
      {"arm", file.has_attribute("/", "arm") ? file.string_attribute("/", "arm") : std::string()},
      {"seed", file.has_attribute("/", "seed") ? file.int_attribute("/", "seed")
                                               : std::stoll(config.at_path("train.seed")->text())},
      {"weights", weights_file_name(format)},
      {"readout", readout_of(config)},
      {"tied", Json::object()},  // no attnlab model shares a tensor between names
      {"parameters", shapes},
      {"config", typed_json(config, "", declared_types(config))}};
  return {format == WeightsFormat::torch ? torch_state_dict_bytes(content.tensors, path)
                                         : safetensors_bytes(content, path),
          json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n", content.tensors.size()};
}

}  // namespace

std::string configuration_json(const ConfigNode& resolved) {
  return typed_json(resolved, "", declared_types(resolved))
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

const NamedChoices<WeightsFormat>& weights_format_names() {
  static const NamedChoices<WeightsFormat> names{{"safetensors", WeightsFormat::safetensors},
                                                 {"torch", WeightsFormat::torch}};
  return names;
}

const char* weights_file_name(WeightsFormat format) {
  return format == WeightsFormat::torch ? "pytorch_model.bin" : kWeightsFileName;
}

ExportedModel export_model(const fs::path& trial_file, const fs::path& directory,
                           WeightsFormat format) {
  refuse_inside_a_run(directory, "--output");
  // HDF5 can crash or hang on a damaged file: it is read in a child process,
  // which sends back the two texts, each after its size.
  const std::string sent = read_isolated(
      [&] {
        const ExportTexts texts = export_texts(trial_file, format);
        return fmt::format("{:016x}{:016x}{}{}", texts.tensors, texts.weights.size(), texts.weights,
                           texts.config);
      },
      trial_file.string(), std::chrono::seconds(600));
  const std::size_t tensors = std::stoull(sent.substr(0, 16), nullptr, 16);
  const std::size_t weights_bytes = std::stoull(sent.substr(16, 16), nullptr, 16);
  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    throw IoError(fmt::format("--output {}: cannot create the folder: {}", directory.string(),
                              error.message()));
  ExportedModel exported{directory / weights_file_name(format), directory / kConfigFileName,
                         static_cast<int64_t>(tensors)};
  write_files_together({{exported.weights, sent.substr(32, weights_bytes)},
                        {exported.config, sent.substr(32 + weights_bytes)}});
  // The other format's weights of an earlier export are not this model's: a reader
  // finding them beside this config.json would load them.
  const WeightsFormat other =
      format == WeightsFormat::torch ? WeightsFormat::safetensors : WeightsFormat::torch;
  if (!fs::remove(directory / weights_file_name(other), error) && error)
    throw IoError(fmt::format("{}: cannot remove the weights of an earlier export: {}",
                              (directory / weights_file_name(other)).string(), error.message()));
  return exported;
}

}  // namespace attnlab
