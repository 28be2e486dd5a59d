// `attnlab layout` and `attnlab verify`: the on-disk contract as this build
// declares it (io/output_layout.hpp, io/provenance.hpp, io/hdf5_file.hpp), and
// the check every reader makes, applied to any file attnlab wrote.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "commands.hpp"
#include "json_text.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

using NamedPaths = std::vector<std::pair<std::string, std::string>>;

// "name": "path" members of a JSON object, one a line.
std::string json_members(const NamedPaths& paths) {
  std::string members;
  for (const auto& [name, path] : paths)
    members += fmt::format("{}{}: {}", members.empty() ? "\n    " : ",\n    ", json_string(name),
                           json_string(path));
  return members;
}

// A figure's bound in JSON, which has no infinity: null for an unbounded end.
std::string json_bound(double bound) {
  return std::isinf(bound) ? "null" : fmt::format("{}", bound);
}

std::string text_rows(const NamedPaths& paths) {
  std::string rows;
  for (const auto& [name, path] : paths) rows += fmt::format("  {:<18} {}\n", name, path);
  return rows;
}

std::string layout_json() {
  std::string kinds;
  for (const FileKind& kind : all_file_kinds())
    kinds += fmt::format(
        "{}{{\"name\": {}, \"schema_attribute\": {}, \"schema\": {}, \"sealed_from\": {}, "
        "\"may_be_other_kind\": {}}}",
        kinds.empty() ? "\n    " : ",\n    ", json_string(kind.name),
        json_string(kind.schema_attribute), kind.schema, kind.sealed_from,
        kind.may_be_other_kind ? "true" : "false");
  std::string figures;
  for (const auto& [name, meaning] : figure_kinds())
    figures += fmt::format("{}{}: {{\"better\": {}, \"unit\": {}, \"low\": {}, \"high\": {}}}",
                           figures.empty() ? "\n    " : ",\n    ", json_string(name),
                           json_string(to_string(meaning.better)), json_string(meaning.unit),
                           json_bound(meaning.low), json_bound(meaning.high));
  const std::string paths = json_members(OutputLayout::named_paths());
  const std::string inside = json_members(trial_paths::named());
  return fmt::format(
      "{{\n  \"file_kinds\": [{}\n  ],\n  \"seal\": {{\"attribute\": {}, \"version_attribute\": "
      "{}, \"version\": {}, \"data_digest_attribute\": {}}},\n  \"paths\": {{{}\n  }},\n  "
      "\"trial_file_paths\": {{{}\n  }},\n  \"figures\": {{{}\n  }}\n}}\n",
      kinds, json_string(Hdf5File::kSealAttribute), json_string(Hdf5File::kSealVersionAttribute),
      Hdf5File::kSealVersion, json_string(Hdf5File::kDataDigestAttribute), paths, inside, figures);
}

std::string layout_text() {
  std::string text = "an output directory (<id>: a trial's id):\n";
  text += text_rows(OutputLayout::named_paths());
  text += "\ninside a trial file:\n";
  text += text_rows(trial_paths::named());
  text += "\nfinal figures (<metric> also with @<length> or [<setting>]): better, unit, range\n";
  for (const auto& [name, meaning] : figure_kinds())
    text += fmt::format("  {:<18} {:<7} {:<9} [{}, {}]\n", name, to_string(meaning.better),
                        meaning.unit, meaning.low, meaning.high);
  text += "\nHDF5 files, by their root attribute 'kind' (docs/hdf5-layout.md):\n";
  for (const FileKind& kind : all_file_kinds())
    text += fmt::format("  {:<14} {} = {} (sealed from {} on)\n", kind.name, kind.schema_attribute,
                        kind.schema, kind.sealed_from);
  return text;
}

}  // namespace

int run_layout(const std::vector<std::string>& arguments) {
  bool json = false, help = false;
  po::options_description options("attnlab layout [--json]: where attnlab writes what");
  options.add_options()("json", po::bool_switch(&json), "as JSON, for tools")(
      "help,h", po::bool_switch(&help), "show this text");
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(options).run(), values);
  po::notify(values);
  if (help) {
    std::cout << options;
    return 0;
  }
  fmt::print("{}", json ? layout_json() : layout_text());
  return 0;
}

int run_verify(const std::vector<std::string>& arguments) {
  std::vector<std::string> files;
  bool help = false;
  po::options_description options(
      "attnlab verify FILE...: check files attnlab wrote as every reader does (kind, schema, "
      "the seal over attributes and values); exit 1 if any fails");
  options.add_options()("help,h", po::bool_switch(&help), "show this text");
  po::options_description all;
  all.add(options).add_options()("file", po::value(&files));
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
  po::notify(values);
  if (help || files.empty()) {
    std::cout << options;
    return help ? 0 : 2;
  }
  int failed = 0;
  for (const std::string& path : files) {
    try {
      fmt::print("{}: ok: {}\n", path, check_file_at(path));
    } catch (const Error& e) {
      fmt::print("{}: FAILED: {}\n", path, e.what());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace attnlab::cli
