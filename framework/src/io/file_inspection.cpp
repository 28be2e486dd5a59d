#include "attnlab/io/file_inspection.hpp"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "isolated_read.hpp"

namespace attnlab {
namespace {

using Json = nlohmann::ordered_json;

// An attribute whatever its type: text, a list of texts, or a number (integers
// stay integers); what attnlab does not write is said so.
Json attribute_value(const Hdf5File& file, const std::string& object, const std::string& name) {
  try {
    return file.string_attribute(object, name);
  } catch (const Error&) {
  }
  try {
    return file.string_list_attribute(object, name);
  } catch (const Error&) {
  }
  try {
    const double number = file.number_attribute(object, name);
    if (number == static_cast<double>(static_cast<int64_t>(number)))
      return static_cast<int64_t>(number);
    return number;
  } catch (const Error&) {
    return "(a value of a type attnlab does not write)";
  }
}

Json tensor_entry(const Hdf5File& file, const std::string& path, const std::string& name) {
  Json entry = {{"name", name}, {"shape", file.dataset_shape(path)}};
  if (file.has_attribute(path, trial_paths::dimensions))
    entry["dims"] = file.string_list_attribute(path, trial_paths::dimensions);
  return entry;
}

// Every dataset under `group` (dotted names relative to it), depth first.
void collect(const Hdf5File& file, const std::string& group, const std::string& prefix,
             Json& into) {
  for (const std::string& child : file.children(group)) {
    const std::string path = group == "/" ? child : group + "/" + child;
    const std::string name = prefix.empty() ? child : prefix + "." + child;
    if (file.is_group(path))
      collect(file, path, name, into);
    else
      into.push_back(tensor_entry(file, path, name));
  }
}

Json activations(const Hdf5File& file) {
  Json steps = Json::array(), inputs = Json::array(), last = Json::array();
  std::string last_group;
  for (const std::string& child : file.children(trial_paths::activations)) {
    const int64_t step = trial_paths::snapshot_step(child);
    if (step < 0) continue;
    steps.push_back(step);
    last_group = std::string(trial_paths::activations) + "/" + child;
  }
  if (file.contains(trial_paths::inputs)) collect(file, trial_paths::inputs, "", inputs);
  if (!last_group.empty()) collect(file, last_group, "", last);
  return {{"steps", steps}, {"inputs", inputs}, {"tensors_of_last_step", last}};
}

Json integrity(const Hdf5File& file, const FileKind& kind) {
  try {
    check_file(file, kind, true);
    if (!file.has_attribute("/", Hdf5File::kSealAttribute))
      return {{"intact", true},
              {"detail",
               "unsealed (written by an older attnlab or another tool): there is nothing to "
               "check its attributes and values against"}};
    return {{"intact", true}, {"detail", "intact: the seal and every dataset's checksum match"}};
  } catch (const IoError& damage) {
    return {{"intact", false}, {"detail", damage.what()}};
  }
}

std::string describe(const std::string& path) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  const FileKind& kind = file_kind_of(file);
  Json json = {{"file", path},
               {"kind", kind.name},
               {"schema", file.has_attribute("/", std::string(kind.schema_attribute))
                              ? file.int_attribute("/", std::string(kind.schema_attribute))
                              : 0}};
  Json provenance = Json::object();
  for (const char* name : {provenance_attributes::version, provenance_attributes::commit,
                           provenance_attributes::dirty, provenance_attributes::created,
                           provenance_attributes::host, provenance_attributes::matrix_kernel})
    if (file.has_attribute("/", name)) provenance[name] = attribute_value(file, "/", name);
  json["provenance"] = provenance;
  json["integrity"] = integrity(file, kind);
  Json trial = Json::object();
  for (const char* name : {"experiment", "trial_id", "arm", "seed", "status", "wall_time_seconds"})
    if (file.has_attribute("/", name)) trial[name] = attribute_value(file, "/", name);
  json["trial"] = trial.empty() ? Json(nullptr) : trial;
  json["configuration"] = file.has_attribute("/", kConfigAttribute)
                              ? Json(file.string_attribute("/", kConfigAttribute))
                              : Json(nullptr);
  json["final"] = nullptr;
  if (file.contains(trial_paths::final)) {
    Json figures = Json::object();
    for (const std::string& name : file.attribute_names(trial_paths::final))
      figures[name] = attribute_value(file, trial_paths::final, name);
    json["final"] = figures;
  }
  Json parameters = Json::array(), others = Json::array();
  if (file.contains(trial_paths::parameters))
    collect(file, trial_paths::parameters, "", parameters);
  json["parameters"] = parameters;
  json["activations"] = file.contains(trial_paths::activations) ? activations(file) : Json(nullptr);
  for (const std::string& child : file.children("/"))
    if (child != trial_paths::parameters && child != trial_paths::activations)
      file.is_group(child) ? collect(file, child, child, others)
                           : others.push_back(tensor_entry(file, child, child));
  json["other_datasets"] = others;
  // Replacing what is not UTF-8 (a file name, a foreign attribute) rather than failing.
  return json.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string inspect_file(const std::filesystem::path& path) {
  return read_isolated([&] { return describe(path.string()); }, path.string(),
                       std::chrono::seconds(600));
}

}  // namespace attnlab
