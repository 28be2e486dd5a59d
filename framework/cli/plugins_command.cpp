// `attnlab plugins [--json | --markdown]`: every registered component by kind,
// with its parameters (type, limits, default, meaning) and capabilities; the
// Markdown is docs/components.md's tables, checked by a test.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "attnlab/registry/component_kinds.hpp"
#include "commands.hpp"
#include "json_text.hpp"

namespace attnlab::cli {
namespace {

// Every capability of a component's kind, with whether it holds for this one.
template <class Capabilities>
std::vector<std::pair<std::string, bool>> capabilities_of(const Capabilities& held) {
  std::vector<std::pair<std::string, bool>> all;
  for (const auto& field : Capabilities::fields()) all.emplace_back(field.name, held.*field.member);
  return all;
}

template <class Entry>
void print_text(const char* kind, const std::vector<Entry>& entries) {
  fmt::print("{} ({}):\n", kind, entries.size());
  for (const Entry& e : entries) {
    fmt::print("  {:<12} {}  [{}]\n", e.name, e.description, e.origin);
    std::string held;
    for (const auto& [name, on] : capabilities_of(e.capabilities))
      if (on) held += (held.empty() ? "" : ", ") + name;
    fmt::print("  {:<12} capabilities: {}\n", "", held.empty() ? "none" : held);
    for (const ParameterSpec& p : e.parameters)
      fmt::print("  {:<12}   {} ({}, default {}): {}\n", "", p.name, describe_expected(p),
                 p.default_value, p.doc);
  }
}

template <class Entry>
std::string json_entries(const std::vector<Entry>& entries) {
  std::vector<std::string> items;
  for (const Entry& e : entries) {
    std::vector<std::string> parameters, capabilities;
    for (const ParameterSpec& p : e.parameters)
      parameters.push_back(fmt::format(
          R"({{"name": {}, "type": {}, "expected": {}, "default": {}, "doc": {}}})",
          json_string(p.name), json_string(to_string(p.type)), json_string(describe_expected(p)),
          json_string(p.default_value), json_string(p.doc)));
    for (const auto& [name, on] : capabilities_of(e.capabilities))
      capabilities.push_back(fmt::format("{}: {}", json_string(name), on ? "true" : "false"));
    items.push_back(fmt::format(
        R"({{"name": {}, "description": {}, "origin": {}, "capabilities": {{{}}}, "parameters": [{}]}})",
        json_string(e.name), json_string(e.description), json_string(e.origin),
        fmt::join(capabilities, ", "), fmt::join(parameters, ", ")));
  }
  return fmt::format("[{}]", fmt::join(items, ",\n  "));
}

// Markdown-safe table cell text.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

template <class Component>
void print_markdown() {
  using Capabilities = typename Registry<Component>::Capabilities;
  fmt::print("### {}\n\n", Component::kPlural);
  if (!Capabilities::fields().empty()) {
    fmt::print("Capabilities:\n");
    for (const auto& field : Capabilities::fields())
      fmt::print("- `{}`: {}\n", field.name, field.meaning);
    fmt::print("\n");
  }
  fmt::print("| name | what it is | parameters | capabilities |\n|---|---|---|---|\n");
  for (const auto& e : registry_of<Component>().entries()) {
    std::vector<std::string> parameters, held;
    for (const ParameterSpec& p : e.parameters)
      parameters.push_back(fmt::format("`{}` ({}, default `{}`): {}", p.name,
                                       cell(describe_expected(p)), p.default_value, cell(p.doc)));
    for (const auto& [name, on] : capabilities_of(e.capabilities))
      if (on) held.push_back(fmt::format("`{}`", name));
    fmt::print("| `{}` | {} | {} | {} |\n", e.name, cell(e.description),
               parameters.empty() ? "none" : fmt::format("{}", fmt::join(parameters, "<br>")),
               held.empty() ? "none" : fmt::format("{}", fmt::join(held, ", ")));
  }
  fmt::print("\n");
}

}  // namespace

int run_plugins(const std::vector<std::string>& arguments) {
  bool json = false, markdown = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--json") {
      json = true;
    } else if (arguments[i] == "--markdown") {
      markdown = true;
    } else if (arguments[i] == "--plugin" && i + 1 < arguments.size()) {
      load_plugin(arguments[++i]);
    } else {
      throw ConfigError(
          fmt::format("attnlab plugins: unexpected argument '{}' (accepted: --json, --markdown, "
                      "--plugin LIBRARY)",
                      arguments[i]));
    }
  }
  if (markdown) {
    ComponentKinds::for_each([]<class Component>() { print_markdown<Component>(); });
  } else if (json) {
    std::vector<std::string> kinds;
    ComponentKinds::for_each([&]<class Component>() {
      kinds.push_back(fmt::format("{}: {}", json_string(Component::kKey),
                                  json_entries(registry_of<Component>().entries())));
    });
    fmt::print("{{{}}}\n", fmt::join(kinds, ",\n "));
  } else {
    ComponentKinds::for_each([]<class Component>() {
      print_text(Component::kPlural, registry_of<Component>().entries());
    });
  }
  return 0;
}

}  // namespace attnlab::cli
