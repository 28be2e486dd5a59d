// Every registered component of every kind, through its kind's checks, each
// in a child process of its own: a component that crashes or hangs fails its
// checks instead of ending the run (and the verdicts of the others with it).
#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

#include "../process/isolated_child.hpp"
#include "attnlab/registry/component_kinds.hpp"
#include "check_support.hpp"

namespace attnlab::conformance {
namespace {

template <class>
constexpr bool kNoChecksYet = false;

// Each kind's checks; a kind added to component_kinds.hpp fails to compile here
// until it has some, rather than being checked as something else.
template <class Component>
ComponentReport check_one(const std::string& name, const CheckOptions& options) {
  if constexpr (std::is_same_v<Component, AttentionVariant>)
    return check_attention_variant(name, options);
  else if constexpr (std::is_same_v<Component, PositionalEncoding>)
    return check_positional_encoding(name, options);
  else if constexpr (std::is_same_v<Component, HeadLayout>)
    return check_head_layout(name, options);
  else if constexpr (std::is_same_v<Component, Task>)
    return check_task(name, options);
  else
    static_assert(kNoChecksYet<Component>, "a component kind without conformance checks");
}

// The checks of a report as text through the pipe: fields split by a unit
// separator, checks by a record separator.
constexpr char kField = '\x1f', kRecord = '\x1e';

// A separator inside a text (a plugin's exception message) becomes a space.
std::string without_separators(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == kField || c == kRecord; }, ' ');
  return text;
}

std::string encode(const std::vector<Check>& checks) {
  std::string text;
  for (const Check& c : checks)
    text += fmt::format("{}{}{:d}{}{:d}{}{}{}", without_separators(c.name), kField, c.passed,
                        kField, c.skipped, kField, without_separators(c.detail), kRecord);
  return text;
}

std::vector<Check> decode(const std::string& text) {
  std::vector<Check> checks;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find(kRecord, start);
    const std::string record = text.substr(start, end - start);
    const std::size_t a = record.find(kField), b = record.find(kField, a + 1),
                      c = record.find(kField, b + 1);
    checks.push_back({record.substr(0, a), record.substr(a + 1, b - a - 1) == "1",
                      record.substr(b + 1, c - b - 1) == "1", record.substr(c + 1)});
    start = end + 1;
  }
  return checks;
}

// The built-ins take at most a few seconds each (the default cases); a
// thorough run may take minutes.
std::chrono::seconds cpu_time(const CheckOptions& options) {
  return std::chrono::seconds(options.thorough ? 1800 : 120);
}
std::chrono::seconds wall_time(
    const CheckOptions& options) {  // a check waiting on nothing ends too
  return 3 * cpu_time(options);
}

template <class Component>
ComponentReport check_isolated(const typename Registry<Component>::Entry& entry,
                               const CheckOptions& options) {
  const auto cpu = cpu_time(options), wall = wall_time(options);
  const ChildOutcome outcome =
      run_in_child([&] { return encode(check_one<Component>(entry.name, options).checks); },
                   fmt::format("checking {} '{}'", Component::kKind, entry.name), cpu, wall);
  ComponentReport report{Component::kKind, entry.name, entry.origin, {}};
  const bool returned = outcome.kind == ChildOutcome::Kind::returned;
  if (returned) report.checks = decode(outcome.text);
  if (report.checks.empty())  // a report of no checks passes nothing
    report.checks.push_back(
        {"runs", false, false,
         returned ? "the checks reported nothing" : describe(outcome, "the checks", cpu, wall)});
  return report;
}

}  // namespace

std::vector<ComponentReport> check_components(std::string_view origin, const CheckOptions& options,
                                              std::string_view component) {
  std::vector<ComponentReport> reports;
  ComponentKinds::for_each([&]<class Component>() {
    for (const auto& entry : registry_of<Component>().entries())
      if ((origin.empty() || entry.origin == origin) &&
          (component.empty() || entry.name == component))
        reports.push_back(check_isolated<Component>(entry, options));
  });
  return reports;
}

}  // namespace attnlab::conformance
