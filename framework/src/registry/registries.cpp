// The one instance of each kind's registry, and the built-in components.
// Registries are function-local statics, so shared libraries loaded later find
// the same objects. Built-ins queue their registration function during static
// initialisation (ATTNLAB_PLUGIN inside attnlab) and the first use of any
// registry runs them all, through the same checks as a shared library's.
#include "registries.hpp"

#include <fmt/format.h>

#include <mutex>
#include <set>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

std::vector<RegisterComponents>& builtin_queue() {
  static std::vector<RegisterComponents> queue;
  return queue;
}

std::vector<RegisterComponents>& late_queue() {
  static std::vector<RegisterComponents> queue;
  return queue;
}

template <class Component>
Registry<Component>& stored_registry() {
  static Registry<Component> registry;
  return registry;
}

bool& builtins_registered() {
  static bool registered = false;
  return registered;
}

void register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    PluginRegistrar registrar("built-in");
    for (RegisterComponents register_function : builtin_queue()) register_function(registrar);
    detail::add_components(registrar);
    builtins_registered() = true;
  });
}

// "plugin /path/lib.so" or "built-in components", to start a message.
std::string library_named(const std::string& origin) {
  return origin == "built-in" ? "built-in components" : fmt::format("plugin {}", origin);
}

template <class Component>
void refuse_clashes(const EntriesOf<Component>& entries, const std::string& origin) {
  const std::string library = library_named(origin);
  std::set<std::string> seen;
  for (const auto& entry : entries) {
    if (entry.name.empty())
      throw ConfigError(
          fmt::format("{}: registers a {} with an empty name", library, Component::kKind));
    try {
      check_parameter_specs(Component::kKind, entry.name, entry.parameters);
    } catch (const ConfigError& error) {
      throw ConfigError(fmt::format("{}: {}", library, error.what()));
    }
    const Registry<Component>& registry = stored_registry<Component>();
    if (registry.contains(entry.name))
      throw ConfigError(fmt::format("{}: {} '{}' is already registered (from {})", library,
                                    Component::kKind, entry.name,
                                    registry.find(entry.name).origin));
    if (!seen.insert(entry.name).second)
      throw ConfigError(
          fmt::format("{}: registers {} '{}' twice", library, Component::kKind, entry.name));
  }
}

}  // namespace

template <class Component>
Registry<Component>& registry_of() {
  register_builtins();
  return stored_registry<Component>();
}

// Emits registry_of<Kind>() for every kind, from the one list of kinds: an
// explicitly instantiated class emits its static members, which name them.
template <class Kinds>
struct RegistryAccessors;
template <class... Kinds>
struct RegistryAccessors<KindList<Kinds...>> {
  static constexpr std::tuple<Registry<Kinds>& (*)()...> accessors{&registry_of<Kinds>...};
};
template struct RegistryAccessors<ComponentKinds>;

namespace detail {

bool queue_builtin_components(RegisterComponents register_function) {
  // After the registries' first use, a queued function would never run: keep it
  // apart, counted, so that a plugin library built as a built-in is refused by
  // the loader (registered_component_count) and a built-in queued too late by a
  // static initialiser fails the test that every built-in file registered.
  (builtins_registered() ? late_queue() : builtin_queue()).push_back(register_function);
  return true;
}

void add_components(PluginRegistrar& registrar) {
  ComponentKinds::for_each([&]<class Component>() {
    refuse_clashes<Component>(registrar.entries<Component>(), registrar.origin());
  });
  ComponentKinds::for_each([&]<class Component>() {
    for (auto& entry : registrar.entries<Component>())
      stored_registry<Component>().add(std::move(entry));
    registrar.entries<Component>().clear();
  });
}

std::size_t registered_component_count() {
  std::size_t count = 0;
  ComponentKinds::for_each(
      [&]<class Component>() { count += registry_of<Component>().entries().size(); });
  return count + late_queue().size();
}

}  // namespace detail
}  // namespace attnlab
