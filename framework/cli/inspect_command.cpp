// `attnlab inspect FILE`: what an attnlab file holds, its provenance and
// whether it is intact, without reading it by hand.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/io/file_inspection.hpp"
#include "commands.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// "decoder, d_model 32, 2 layers, 4 heads (mha), positions sinusoidal, attention
// softmax; task reverse (symbols: 8, length: 8)" from a resolved configuration.
std::string model_line(const std::string& yaml, const std::string& origin) {
  const ConfigNode config = parse_yaml(yaml, origin, kWrittenYamlBounds);
  const auto value = [&](const char* path) {
    const ConfigNode* node = config.at_path(path);
    return node != nullptr && node->is_scalar() ? node->text() : std::string("?");
  };
  std::vector<std::string> task_parameters;
  if (const ConfigNode* task = config.at_path("task"); task != nullptr && task->is_map())
    for (const auto& entry : task->entries())
      if (entry.key != "name" && entry.value.is_scalar())
        task_parameters.push_back(entry.key + " " + entry.value.text());
  return fmt::format(
      "{}, d_model {}, {} layers, {} heads ({}), positions {}, attention {}, {}-LN; task {} ({})",
      value("model.architecture"), value("model.d_model"), value("model.layers"),
      value("heads.count"), value("heads.layout"), value("positional.kind"),
      value("attention.variant"), value("model.norm"), value("task.name"),
      fmt::join(task_parameters, ", "));
}

std::string shape_text(const Json& tensor) {
  std::string text =
      fmt::format("[{}]", fmt::join(tensor["shape"].get<std::vector<int64_t>>(), ", "));
  if (tensor.contains("dims"))
    text += fmt::format(" ({})", fmt::join(tensor["dims"].get<std::vector<std::string>>(), ", "));
  return text;
}

void print_tensors(const Json& tensors) {
  std::size_t width = 0;
  for (const Json& t : tensors) width = std::max(width, t["name"].get<std::string>().size());
  for (const Json& t : tensors)
    fmt::print("  {:<{}}  {}\n", t["name"].get<std::string>(), width, shape_text(t));
}

void print_report(const Json& report, bool with_configuration) {
  const Json& provenance = report["provenance"];
  fmt::print("{}: an attnlab {} file (schema {}), {}\n", text_of(report["file"]),
             text_of(report["kind"]), text_of(report["schema"]),
             report["integrity"]["intact"].get<bool>() ? text_of(report["integrity"]["detail"])
                                                       : "DAMAGED (the damage is named below)");
  std::vector<std::string> written;
  for (const auto& [name, value] : provenance.items())
    written.push_back(name + " " + text_of(value));
  if (!written.empty()) fmt::print("  written by {}\n", fmt::join(written, ", "));
  if (!report["trial"].is_null()) {
    std::vector<std::string> trial;
    for (const auto& [name, value] : report["trial"].items())
      trial.push_back(name + " " + text_of(value));
    fmt::print("  {}\n", fmt::join(trial, ", "));
  }
  if (!report["configuration"].is_null()) {
    const std::string yaml = report["configuration"].get<std::string>();
    try {
      fmt::print("model: {}\n", model_line(yaml, text_of(report["file"]) + " (config_yaml)"));
    } catch (const Error& error) {
      fmt::print("model: its configuration does not parse: {}\n", error.what());
    }
    if (with_configuration) fmt::print("configuration:\n{}", yaml);
  }
  if (!report["final"].is_null()) {
    std::vector<std::string> figures;
    for (const auto& [name, value] : report["final"].items())
      figures.push_back(fmt::format(
          "{} {}", name,
          value.is_number_float() ? fmt::format("{:.6g}", value.get<double>()) : text_of(value)));
    fmt::print("final figures: {}\n", fmt::join(figures, ", "));
  }
  const Json& parameters = report["parameters"];
  if (!parameters.empty()) {
    int64_t values = 0;
    for (const Json& p : parameters) {
      int64_t count = 1;
      for (const Json& size : p["shape"]) count *= size.get<int64_t>();
      values += count;
    }
    fmt::print("parameters: {} tensors, {} values (float32)\n", parameters.size(), values);
    print_tensors(parameters);
  }
  if (!report["activations"].is_null()) {
    const Json& activations = report["activations"];
    const auto steps = activations["steps"].get<std::vector<int64_t>>();
    fmt::print("activations: {} snapshot(s), at steps {}; the recorded examples:\n", steps.size(),
               fmt::join(steps, ", "));
    print_tensors(activations["inputs"]);
    if (!steps.empty()) {
      fmt::print("recorded at step {} (as at every step):\n", steps.back());
      print_tensors(activations["tensors_of_last_step"]);
    }
  }
  if (!report["other_datasets"].empty()) {
    fmt::print("other datasets:\n");
    print_tensors(report["other_datasets"]);
  }
}

}  // namespace

int run_inspect(const std::vector<std::string>& arguments) {
  std::string file;
  bool json = false, configuration = false;
  po::options_description options("attnlab inspect FILE [options]");
  options.add_options()("help,h", "show this text")("json", po::bool_switch(&json),
                                                    "print the report as JSON")(
      "config", po::bool_switch(&configuration), "also print the stored configuration (YAML)");
  if (parse_with_positional(
          arguments, options, file,
          "Says what an attnlab file (a trial file, results.h5, a checkpoint, an analysis "
          "file) holds: its kind, schema and provenance, whether it is intact (its seal and "
          "every dataset's checksum), the trial it is of, its model and final figures, its "
          "parameters with their shapes and its recorded activations with their dimension "
          "names. Exits 1 when the file is damaged. Layout of --json: docs/interchange.md.\n"
          "e.g. attnlab inspect runs/heads/trials/<id>.h5"))
    return 0;
  if (file.empty())
    throw ConfigError("expected an attnlab file, e.g. attnlab inspect runs/NAME/trials/<id>.h5");
  const Json report = Json::parse(inspect_file(file));
  if (json)
    std::cout << report.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  else
    print_report(report, configuration);
  if (!report["integrity"]["intact"].get<bool>())
    throw IoError(report["integrity"]["detail"].get<std::string>());
  return 0;
}

}  // namespace attnlab::cli
