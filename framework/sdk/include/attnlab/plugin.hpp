// Plugins: a library of components adds attention variants, positional
// encodings, head layouts and tasks to attnlab's registries. Built-in
// components (plugins/) and out-of-tree shared libraries are written the same
// way, so a component moves out of tree unchanged:
//
//   #include <attnlab/plugin.hpp>
//   void register_components(attnlab::PluginRegistrar& registrar) {
//     registrar.add_attention({.name = "mine", .description = "...", ...});
//   }
//   ATTNLAB_PLUGIN(register_components)
//
// In a shared library, ATTNLAB_PLUGIN exports two C symbols: its plugin API
// version and a registration entry that never lets an exception cross the
// library boundary. attnlab checks the version, collects the components,
// refuses any name clash, and only then adds them; the library stays loaded
// until the process ends (its code backs the registered factories). Compiled
// into attnlab itself (ATTNLAB_BUILTIN_COMPONENTS defined), it queues the
// function instead, and the first use of a registry runs every queued one
// through the same checks. docs/plugins.md walks through writing, building and
// loading one.
#pragma once

#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "attnlab/registry/component_kinds.hpp"

namespace attnlab {

/// Raised when what crosses the plugin boundary changes (this header, the
/// component interfaces, their entries, capabilities and build contexts); a
/// plugin built against another version is refused with a message naming both.
///   1: first release
///   2: capabilities default to false; head_gating; kPlural/kKey; the
///      registrar holds one list per kind; ParameterSpec limits (range,
///      choices) checked before a factory runs
///   3: AttentionVariant::attend takes the forward context (a variant may
///      record its own tensors); Module::record and ActivationObserver::observe
///      carry the recorded tensor's dimension names; tasks declare
///      sequence_labels and pads, give num_classes(), and lose metrics()
///   4: Module::record returns the tensor the forward pass continues with, and
///      ActivationObserver has replace() (activation patching): a component
///      that records a tensor it goes on computing from should use the result
///   5: what is known of a recorded tensor is declared where it is recorded:
///      Module::record takes Replaceable (no for tensors only observed) and
///      observers receive a RecordedTensor (name, dimension names, layer,
///      replaceable); dimension names are constants (nn/dimension_names.hpp);
///      tasks declare byte_tokens
///   6: the conformance checks take CheckOptions (seed, cases, replay,
///      thorough) and run over many shapes; HeadDimensions::kv_latent (keys
///      and values from a shared latent: multi-head latent attention);
///      RotaryPositions, rotate_feature_pairs and rotary_frequencies; ops::matmul's overload
///      with a scale factor (added under 5 without a bump)
inline constexpr int kPluginApiVersion = 6;

/// What a library of components hands to attnlab while it is being loaded.
class PluginRegistrar {
 public:
  explicit PluginRegistrar(std::string origin) : origin_(std::move(origin)) {}

  /// Adds a component of kind `Component` (any kind of ComponentKinds).
  template <class Component>
  void add(typename Registry<Component>::Entry entry) {
    entry.origin = origin_;  // every component names the library it came from
    entries<Component>().push_back(std::move(entry));
  }
  void add_attention(Registry<AttentionVariant>::Entry entry) {
    add<AttentionVariant>(std::move(entry));
  }
  void add_positional(Registry<PositionalEncoding>::Entry entry) {
    add<PositionalEncoding>(std::move(entry));
  }
  void add_head_layout(Registry<HeadLayout>::Entry entry) { add<HeadLayout>(std::move(entry)); }
  void add_task(Registry<Task>::Entry entry) { add<Task>(std::move(entry)); }

  template <class Component>
  EntriesOf<Component>& entries() {
    return std::get<EntriesOf<Component>>(entries_);
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  ComponentKinds::Tuple<EntriesOf> entries_;
};

using RegisterComponents = void (*)(PluginRegistrar&);

namespace detail {
/// Queues a built-in library of components (what ATTNLAB_PLUGIN expands to
/// inside attnlab); returns true.
bool queue_builtin_components(RegisterComponents register_function);
}  // namespace detail

/// Where the plugin library `path` is: as given if absolute, else relative to
/// `relative_to` (e.g. the YAML file's folder) if it exists there, else in the
/// first folder of the ATTNLAB_PLUGIN_PATH environment variable (':'-separated)
/// holding it. Only looks: loads nothing. Throws ConfigError listing the places
/// tried when there is no such file. Returns the file (absolute).
std::filesystem::path locate_plugin(const std::string& path,
                                    const std::filesystem::path& relative_to = {});

/// Loads the plugin library `path`, found as locate_plugin finds it. Loading the same file twice is
/// a no-op, and a library once loaded stays loaded even if it is then refused (its initialisers may
/// have run). Throws ConfigError naming the library for a missing or unloadable file, a missing
/// entry symbol, an API version mismatch, an error raised by the plugin, or a name already
/// registered. Returns the file loaded (absolute).
std::filesystem::path load_plugin(const std::string& path,
                                  const std::filesystem::path& relative_to = {});

}  // namespace attnlab

#ifdef ATTNLAB_BUILTIN_COMPONENTS
#define ATTNLAB_PLUGIN(register_function)                             \
  namespace {                                                         \
  [[maybe_unused]] const bool attnlab_components_queued =             \
      ::attnlab::detail::queue_builtin_components(register_function); \
  }
#else
#define ATTNLAB_PLUGIN(register_function)                                                       \
  extern "C" __attribute__((visibility("default"))) int attnlab_plugin_api_version() noexcept { \
    return ::attnlab::kPluginApiVersion;                                                        \
  }                                                                                             \
  extern "C" __attribute__((visibility("default"))) const char* attnlab_plugin_register(        \
      ::attnlab::PluginRegistrar* registrar) noexcept {                                         \
    static thread_local std::string failure;                                                    \
    try {                                                                                       \
      register_function(*registrar);                                                            \
      return nullptr;                                                                           \
    } catch (const std::exception& error) {                                                     \
      failure = error.what();                                                                   \
    } catch (...) {                                                                             \
      failure = "an unknown exception";                                                         \
    }                                                                                           \
    return failure.c_str();                                                                     \
  }
#endif
