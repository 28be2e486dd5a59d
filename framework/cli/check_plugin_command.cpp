// `attnlab check-plugin LIBRARY... | --built-in [options]`: the conformance
// checks on every component a plugin library registers (or on attnlab's
// built-ins), a verdict per component and per check; exit 0 if every component
// passes, 3 if one fails its checks, 1 if a library cannot be loaded at all,
// 2 on a usage error.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "attnlab/conformance/conformance.hpp"
#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

constexpr const char* kCheckPluginAbout =
    "attnlab check-plugin LIBRARY... | --built-in [options]\n"
    "  runs the conformance checks (shapes, finiteness, determinism, batch independence,\n"
    "  gradients, masks, score bias, head gating, cached generation, positions after an\n"
    "  offset and past max_length, layouts' dimensions, task batches at every length and\n"
    "  setting) on every component the libraries register, or on attnlab's built-ins.\n"
    "  Each check is a property over many seeded cases, the edge cases first; a failure\n"
    "  is shrunk to a smallest failing case and printed with the seed and case that\n"
    "  replay it. Each component runs in a process of its own (a crash fails that\n"
    "  component only). Exit 0 if every component passes, 3 if one fails, 1 if a\n"
    "  library cannot be loaded, 2 on a usage error";

struct CheckPluginArguments {
  std::vector<std::string> libraries;
  bool built_in = false;
  std::string component;
  conformance::CheckOptions options;
  bool help = false;
};

CheckPluginArguments parse(const std::vector<std::string>& arguments) {
  CheckPluginArguments parsed;
  int64_t replay = -1, seed = 1;
  po::options_description options(kCheckPluginAbout);
  options.add_options()("help,h", "show this text")("built-in", po::bool_switch(&parsed.built_in),
                                                    "check attnlab's built-in components")(
      "component", po::value(&parsed.component), "check only the component of this name")(
      "seed", po::value(&seed)->default_value(1), "the seed of the cases (>= 0)")(
      "cases", po::value(&parsed.options.cases)->default_value(0),
      fmt::format("cases per property (0: {}, or {} with --thorough; gradients and cached "
                  "generation run a third, at least 8)",
                  conformance::CheckOptions::kDefaultCases,
                  conformance::CheckOptions::kThoroughCases)
          .c_str())("replay", po::value(&replay),
                    "run only this case of every check (the case a failure names)")(
      "thorough", po::bool_switch(&parsed.options.thorough),
      "more cases and longer sequences, for plugin authors (minutes, not seconds)");
  po::options_description hidden;
  hidden.add_options()("library", po::value(&parsed.libraries));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("library", -1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << options << "\n";
    parsed.help = true;
    return parsed;
  }
  po::notify(values);
  if (parsed.libraries.empty() && !parsed.built_in)
    throw po::error("check-plugin needs a plugin library or --built-in");
  if (seed < 0) throw po::error(fmt::format("--seed must be at least 0, got {}", seed));
  parsed.options.seed = static_cast<uint64_t>(seed);
  if (parsed.options.cases < 0)
    throw po::error(fmt::format("--cases must be at least 0, got {}", parsed.options.cases));
  if (values.count("replay")) {
    if (replay < 0) throw po::error(fmt::format("--replay must be at least 0, got {}", replay));
    parsed.options.replay = replay;
  }
  return parsed;
}

void print_report(const conformance::ComponentReport& report) {
  fmt::print("{} {} '{}'  [{}]\n", report.passed() ? "PASS" : "FAIL", report.kind, report.name,
             report.origin);
  for (const conformance::Check& check : report.checks) {
    const char* verdict = check.skipped ? "skip" : check.passed ? "ok  " : "FAIL";
    fmt::print("  {} {:<18} {}\n", verdict, check.name, check.detail);
  }
}

}  // namespace

int run_check_plugin(const std::vector<std::string>& arguments) {
  const CheckPluginArguments parsed = parse(arguments);
  if (parsed.help) return 0;
  std::vector<std::string> origins;
  if (parsed.built_in) origins.push_back("built-in");
  for (const std::string& library : parsed.libraries)
    origins.push_back(load_plugin(library).string());
  int components = 0, failed = 0;
  for (const std::string& origin : origins) {
    const auto reports = conformance::check_components(origin, parsed.options, parsed.component);
    if (reports.empty() && parsed.component.empty())
      throw ConfigError(fmt::format("{} registers no components", origin));
    for (const auto& report : reports) {
      print_report(report);
      ++components;
      failed += report.passed() ? 0 : 1;
    }
  }
  if (components == 0)  // --component named nothing in any library checked
    throw ConfigError(
        fmt::format("no component named '{}' in {}", parsed.component, fmt::join(origins, ", ")));
  fmt::print("{} of {} components pass\n", components - failed, components);
  return failed == 0 ? 0 : 3;
}

}  // namespace attnlab::cli
