#include "attnlab/io/model_import.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/model_export.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/io/safetensors.hpp"
#include "attnlab/model/task_model.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// A configuration nests a few levels (eval.settings: a list of maps); a
// hostile file is refused while it is parsed, before it takes the stack.
constexpr int kMaxConfigDepth = 16;

Json parse_config_json(const fs::path& path) {
  const std::string text =
      read_yaml_text(path.string(), kWrittenYamlBounds.bytes, "a JSON file (config.json)");
  const Json::parser_callback_t bounded = [&](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxConfigDepth)
      throw IoError(fmt::format("{}: nests deeper than {} levels, which no configuration does",
                                path.string(), kMaxConfigDepth));
    return true;
  };
  Json json;
  try {
    json = Json::parse(text, bounded);
  } catch (const Json::parse_error& e) {
    throw IoError(fmt::format("{}: is not JSON: {}", path.string(), e.what()));
  }
  if (!json.is_object())
    throw IoError(
        fmt::format("{}: expected a JSON object (config.json as attnlab export writes "
                    "it), found {}",
                    path.string(), json.type_name()));
  return json;
}

// config.json's own fields: what it is, of which version, and the configuration.
const Json& checked_configuration(const Json& json, const fs::path& path) {
  const auto field = [&](const char* name) -> const Json& {
    const auto found = json.find(name);
    if (found == json.end())
      throw IoError(
          fmt::format("{}: has no \"{}\" (config.json as attnlab export writes it "
                      "has format, format_version and config)",
                      path.string(), name));
    return *found;
  };
  if (field("format") != "attnlab")
    throw IoError(fmt::format("{}: \"format\" is {}, expected \"attnlab\"", path.string(),
                              field("format").dump()));
  const Json& version = field("format_version");
  if (!version.is_number_integer())
    throw IoError(fmt::format("{}: \"format_version\" is {}, expected an integer", path.string(),
                              version.dump()));
  if (version.get<int64_t>() > kInterchangeVersion)
    throw IoError(fmt::format(
        "{}: is of interchange version {}, newer than this attnlab reads ({}): use a newer "
        "attnlab",
        path.string(), version.get<int64_t>(), kInterchangeVersion));
  const Json& config = field("config");
  if (!config.is_object())
    throw IoError(
        fmt::format("{}: \"config\" is {}, expected an object", path.string(), config.type_name()));
  return config;
}

// The two files of `source`: a folder's, or a weights file and the config.json beside it.
std::pair<fs::path, fs::path> source_files(const fs::path& source) {
  const bool folder = fs::is_directory(source);
  const fs::path config = (folder ? source : source.parent_path()) / kConfigFileName;
  if (folder && !fs::exists(config))
    throw IoError(
        fmt::format("{}: has no {} (a folder of attnlab export holds {} and {}; "
                    "export a trial of a run first)",
                    source.string(), kConfigFileName, kWeightsFileName, kConfigFileName));
  return {folder ? source / kWeightsFileName : source, config};
}

}  // namespace

ImportedModel import_model(const fs::path& source, const fs::path& checkpoint) {
  refuse_inside_a_run(checkpoint, "--output");
  const auto [weights, config_path] = source_files(source);
  const Json config_json = parse_config_json(config_path);
  const Json& configuration = checked_configuration(config_json, config_path);
  // JSON is YAML: the configuration is checked as an experiment file's is.
  const Experiment experiment =
      experiment_from_text(configuration.dump(2), fmt::format("{} (config)", config_path.string()));
  const ConfigNode& resolved = experiment.trials.at(0).config;
  const BuiltTrial built = build_trial(resolved);
  Rng init = seeded_rng(built.spec.train.seed, "init");
  const TaskModel model(built.spec.shape, built.spec.model, init);
  const SafetensorsContent content = read_safetensors(weights);
  std::map<std::string, Tensor> stored;
  for (const auto& [name, tensor] : content.tensors) stored.emplace(name, tensor);
  assign_parameters(model.module(), stored, weights.string());
  save_checkpoint(model.module(), checkpoint.string(), to_yaml(resolved));
  return {weights, config_path, checkpoint, static_cast<int64_t>(stored.size())};
}

}  // namespace attnlab
