// `attnlab check-plugin LIBRARY... | --built-in`: the conformance checks on
// every component a plugin library registers (or on attnlab's built-ins), a
// verdict per component and per check; exit 0 if every component passes, 3 if
// one fails its checks, 1 if a library cannot be loaded at all.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "attnlab/conformance/conformance.hpp"
#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "commands.hpp"

namespace attnlab::cli {
namespace {

constexpr const char* kCheckPluginUsage =
    "usage: attnlab check-plugin LIBRARY... | --built-in\n"
    "  runs the conformance checks (shapes, gradients, masks, score bias, head gating,\n"
    "  cached generation, task batches) on every component the libraries register,\n"
    "  or on attnlab's built-in components, each in a process of its own (a crash\n"
    "  fails that component only); exit 0 if every component passes, 3 if one\n"
    "  fails, 1 if a library cannot be loaded\n";

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
  if (arguments.empty()) {  // a usage error: the text goes where errors go
    fmt::print(stderr, "{}", kCheckPluginUsage);
    return 2;
  }
  if (arguments.front() == "--help" || arguments.front() == "-h") {
    fmt::print("{}", kCheckPluginUsage);
    return 0;
  }
  std::vector<std::string> origins;
  for (const std::string& argument : arguments) {
    if (argument == "--built-in")
      origins.push_back("built-in");
    else if (!argument.empty() && argument[0] == '-')
      throw ConfigError(fmt::format("attnlab check-plugin: unknown option '{}'\n{}", argument,
                                    kCheckPluginUsage));
    else
      origins.push_back(load_plugin(argument).string());
  }
  int components = 0, failed = 0;
  for (const std::string& origin : origins) {
    const auto reports = conformance::check_components(origin);
    if (reports.empty()) throw ConfigError(fmt::format("{} registers no components", origin));
    for (const auto& report : reports) {
      print_report(report);
      ++components;
      failed += report.passed() ? 0 : 1;
    }
  }
  fmt::print("{} of {} components pass\n", components - failed, components);
  return failed == 0 ? 0 : 3;
}

}  // namespace attnlab::cli
