#include "attnlab/io/model_import.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "../experiment/schema.hpp"
#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/model_export.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/io/parameter_file.hpp"
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
  // The keys of each object being parsed: JSON parsers keep one of two equal keys
  // silently, and which one a reader keeps differs, so a file with both is refused.
  std::vector<std::set<std::string>> open_objects;
  const Json::parser_callback_t bounded = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxConfigDepth)
      throw IoError(fmt::format("{}: nests deeper than {} levels, which no configuration does",
                                path.string(), kMaxConfigDepth));
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Json::parse_event_t::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second)
      throw IoError(fmt::format("{}: an object has the key \"{}\" twice", path.string(),
                                parsed.get<std::string>()));
    return true;
  };
  Json json;
  try {
    json = Json::parse(text, bounded);
  } catch (const Json::exception& e) {  // a syntax error, or a number too large for a double
    throw IoError(fmt::format("{}: is not JSON attnlab can read: {}", path.string(), e.what()));
  }
  if (!json.is_object())
    throw IoError(
        fmt::format("{}: expected a JSON object (config.json as attnlab export writes "
                    "it), found {}",
                    path.string(), json.type_name()));
  return json;
}

// The configuration describes one model: the keys of an experiment (base:,
// seeds:, ablation:, tune:, output:, ...) would read other files, plan other
// trials or change the seed, so they are refused by name.
void refuse_experiment_keys(const Json& config, const fs::path& path) {
  std::set<std::string> sections;
  for (const schema::KeySpec& spec : schema::trial_keys())
    sections.insert(spec.path.substr(0, spec.path.find('.')));
  for (const schema::ComponentSection& section : schema::component_sections())
    sections.insert(section.section);
  for (const auto& [key, value] : config.items())
    if (sections.count(key) == 0)
      throw IoError(fmt::format(
          "{}: \"config\" has the key '{}', which is not of one model's configuration (it "
          "takes {})",
          path.string(), key, fmt::join(sections, ", ")));
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
  if (version.get<int64_t>() < 1)
    throw IoError(fmt::format("{}: \"format_version\" is {}, expected 1 to {}", path.string(),
                              version.get<int64_t>(), kInterchangeVersion));
  if (version.get<int64_t>() > kInterchangeVersion)
    throw IoError(fmt::format(
        "{}: is of interchange version {}, newer than this attnlab reads ({}): use a newer "
        "attnlab",
        path.string(), version.get<int64_t>(), kInterchangeVersion));
  const Json& config = field("config");
  if (!config.is_object())
    throw IoError(
        fmt::format("{}: \"config\" is {}, expected an object", path.string(), config.type_name()));
  refuse_experiment_keys(config, path);
  return config;
}

// The two files of `source`: a folder's, or a weights file and the config.json beside it.
std::pair<fs::path, fs::path> source_files(const fs::path& source) {
  if (!fs::exists(source))
    throw IoError(
        fmt::format("{}: no such file or folder (expected a folder of attnlab export, "
                    "or its {})",
                    source.string(), kWeightsFileName));
  if (source.filename() == kConfigFileName)
    throw IoError(fmt::format("{}: give the folder that holds it, or its {}, not {} itself",
                              source.string(), kWeightsFileName, kConfigFileName));
  const bool folder = fs::is_directory(source);
  const fs::path config = (folder ? source : source.parent_path()) / kConfigFileName;
  if (folder && !fs::exists(config))
    throw IoError(
        fmt::format("{}: has no {} (a folder of attnlab export holds {} and {}; "
                    "export a trial of a run first)",
                    source.string(), kConfigFileName, kWeightsFileName, kConfigFileName));
  const fs::path weights = folder ? source / kWeightsFileName : source;
  const fs::path torch_weights = source / weights_file_name(WeightsFormat::torch);
  if (folder && !fs::exists(weights) && fs::exists(torch_weights))
    refuse_torch_weights(torch_weights);
  if (is_torch_weights(weights)) refuse_torch_weights(weights);
  return {weights, config};
}

// Whether `a` and `b` name the same file (through links and "..").
bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  if (fs::exists(a) && fs::exists(b)) return fs::equivalent(a, b, error);
  return fs::weakly_canonical(fs::absolute(a), error) ==
         fs::weakly_canonical(fs::absolute(b), error);
}

}  // namespace

ImportedModel import_model(const fs::path& source, const fs::path& checkpoint) {
  refuse_inside_a_run(checkpoint, "--output");
  // Named, not a structured binding: clang 14 cannot capture bindings in a lambda.
  const std::pair<fs::path, fs::path> sources = source_files(source);
  const fs::path& weights = sources.first;
  const fs::path& config_path = sources.second;
  for (const fs::path& read : {weights, config_path})
    if (same_file(checkpoint, read))
      throw ConfigError(fmt::format("--output {}: is {}, which import reads: write elsewhere",
                                    checkpoint.string(), read.string()));
  const Json config_json = parse_config_json(config_path);
  const Json& configuration = checked_configuration(config_json, config_path);
  // JSON is YAML: the configuration is checked as an experiment file's is (its
  // locations are of "config" as re-indented here, two spaces a level).
  const Experiment experiment = [&] {
    try {
      return experiment_from_text(configuration.dump(2),
                                  fmt::format("{} (\"config\")", config_path.string()));
    } catch (const ConfigError& error) {  // without the note on which trial of a plan failed
      const std::string message = error.what();
      throw ConfigError(message.substr(0, message.find("\n  (in arm ")));
    }
  }();
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
