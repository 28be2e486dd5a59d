// Adding a library's components to the registries: shared by built-ins and
// shared-library plugins, so both pass the same checks.
#pragma once

#include "attnlab/plugin.hpp"

namespace attnlab::detail {

/// Adds every component `registrar` collected, all or none: a name already
/// registered, or registered twice by the library, is a ConfigError naming
/// `registrar.origin()`.
void add_components(PluginRegistrar& registrar);

/// How many components of every kind are registered, plus built-in
/// registrations queued after the registries' first use (to detect a library
/// that registers behind the registrar's back).
std::size_t registered_component_count();

}  // namespace attnlab::detail
