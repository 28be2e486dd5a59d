// One registry per kind of component (the kinds are listed once, in
// attnlab/registry/component_kinds.hpp). A component registers under a name
// with a description, its documented parameters, its capabilities and a
// factory; names are looked up when a model is built from a configuration.
//
// Each kind's registry lives in one function-local static inside the attnlab
// library (registry_of<Kind>()), so built-ins, the executable and plugins
// loaded from shared libraries all see the same one. Components reach it only
// through a PluginRegistrar (attnlab/plugin.hpp), built-in or not.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "attnlab/error.hpp"
#include "attnlab/registry/parameters.hpp"

namespace attnlab {

/// A component picked by name with its parameters as given (YAML scalar text).
struct ComponentChoice {
  std::string name;
  std::map<std::string, std::string> parameters;
};

/// One promise a component can make: a bool member of its kind's Capabilities,
/// with the name listings and docs show and what it means.
template <class Capabilities>
struct CapabilityField {
  const char* name;
  bool Capabilities::*member;
  const char* meaning;
};

/// Component must provide: static constexpr const char* kKind (singular, for
/// messages), kPlural (for listings) and kKey (for JSON); a Capabilities struct
/// of bools, all false by default (a component declares what it honours), with
/// a static constexpr fields() listing each; a BuildContext struct.
template <class Component>
class Registry {
 public:
  using Capabilities = typename Component::Capabilities;
  using BuildContext = typename Component::BuildContext;
  using Factory = std::function<std::unique_ptr<Component>(const Parameters&, const BuildContext&)>;
  static_assert(sizeof(Capabilities) == Capabilities::fields().size() ||
                    (std::is_empty_v<Capabilities> && Capabilities::fields().empty()),
                "every capability is a bool listed in Capabilities::fields()");

  struct Entry {
    std::string name;
    std::string description;
    std::vector<ParameterSpec> parameters;
    Capabilities capabilities;
    Factory factory;
    std::string origin = "built-in";  // or the shared library it came from
  };

  /// Adds a component; a name already taken is a ConfigError naming both origins.
  /// Components register through a PluginRegistrar, which calls this after
  /// checking the whole library's entries.
  void add(Entry entry) {
    if (entry.name.empty())
      throw ConfigError(
          fmt::format("a {} from {} has an empty name", Component::kKind, entry.origin));
    check_parameter_specs(Component::kKind, entry.name, entry.parameters);
    for (const Entry& existing : entries_)
      if (existing.name == entry.name)
        throw ConfigError(fmt::format("{} '{}' from {} is already registered (from {})",
                                      Component::kKind, entry.name, entry.origin, existing.origin));
    entries_.push_back(std::move(entry));
  }

  /// The entry called `name`; unknown names list the valid ones and the closest match.
  const Entry& find(std::string_view name) const {
    for (const Entry& entry : entries_)
      if (entry.name == name) return entry;
    const std::string suggestion = closest_match(name, names());
    throw ConfigError(
        fmt::format("unknown {} '{}'{}; available: {}{}", Component::kKind, name,
                    suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                    fmt::join(names(), ", "), plugin_hint()));
  }

  bool contains(std::string_view name) const {
    for (const Entry& entry : entries_)
      if (entry.name == name) return true;
    return false;
  }

  /// Resolves `given` parameters against the entry's declarations and builds the component.
  std::unique_ptr<Component> create(std::string_view name,
                                    const std::map<std::string, std::string>& given,
                                    const BuildContext& context) const {
    const Entry& entry = find(name);
    auto component = entry.factory(
        resolve_parameters(Component::kKind, entry.name, entry.parameters, given), context);
    if (!component)
      throw ConfigError(fmt::format("the factory of {} '{}' (from {}) returned no component",
                                    Component::kKind, entry.name, entry.origin));
    return component;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const Entry& entry : entries_) all.push_back(entry.name);
    return all;
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  // Where a component from a plugin would come from, for the unknown-name message.
  std::string plugin_hint() const {
    std::vector<std::string> libraries;
    for (const Entry& entry : entries_)
      if (entry.origin != "built-in" &&
          std::find(libraries.begin(), libraries.end(), entry.origin) == libraries.end())
        libraries.push_back(entry.origin);
    if (libraries.empty())
      return " (no plugin is loaded: a component from a plugin needs its library under "
             "'plugins:' in the experiment, or --plugin LIBRARY)";
    return fmt::format(" (from the built-ins and the plugins {})", fmt::join(libraries, ", "));
  }

  std::vector<Entry> entries_;
};

/// The one registry of `Component`'s kind (for every kind of ComponentKinds).
/// The first call registers the built-in components.
template <class Component>
Registry<Component>& registry_of();

}  // namespace attnlab
