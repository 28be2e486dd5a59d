// Out-of-tree plugins: a shared library adds attention variants, positional
// encodings, head layouts and tasks to attnlab's registries without touching attnlab.
//
//   #include <attnlab/plugin.hpp>
//   void register_components(attnlab::PluginRegistrar& registrar) {
//     registrar.add_attention({.name = "mine", .description = "...", ...});
//   }
//   ATTNLAB_PLUGIN(register_components)
//
// The library exports two C symbols (made by ATTNLAB_PLUGIN): its plugin API
// version and a registration entry that never lets an exception cross the
// library boundary. attnlab checks the version, collects the components,
// refuses any name clash, and only then adds them; the library stays loaded
// until the process ends (its code backs the registered factories).
// docs/plugins.md walks through writing, building and loading one.
#pragma once

#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/attention/head_layout.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

/// Raised when this header changes incompatibly; a plugin built against
/// another version is refused with a message naming both.
inline constexpr int kPluginApiVersion = 1;

/// What a plugin hands to attnlab while it is being loaded.
class PluginRegistrar {
 public:
  explicit PluginRegistrar(std::string origin) : origin_(std::move(origin)) {}
  void add_attention(Registry<AttentionVariant>::Entry entry);
  void add_positional(Registry<PositionalEncoding>::Entry entry);
  void add_head_layout(Registry<HeadLayout>::Entry entry);
  void add_task(Registry<Task>::Entry entry);
  const std::string& origin() const { return origin_; }

  std::vector<Registry<AttentionVariant>::Entry> attention;
  std::vector<Registry<PositionalEncoding>::Entry> positional;
  std::vector<Registry<HeadLayout>::Entry> head_layouts;
  std::vector<Registry<Task>::Entry> tasks;

 private:
  template <class Entry>
  void stamp(std::vector<Entry>& list, Entry entry) {
    entry.origin = origin_;  // every component names the library it came from
    list.push_back(std::move(entry));
  }

  std::string origin_;
};

/// Loads the plugin library `path`: as given if absolute, else relative to
/// `relative_to` (e.g. the YAML file's folder) if it exists there, else from
/// each folder of the ATTNLAB_PLUGIN_PATH environment variable (':'-separated).
/// Loading the same file twice is a no-op, and a library once loaded stays
/// loaded even if it is then refused (its initialisers may have run). Throws ConfigError naming the
/// library for a missing or unloadable file, a missing entry symbol, an API version mismatch, an
/// error raised by the plugin, or a name already registered. Returns the file loaded (absolute).
std::filesystem::path load_plugin(const std::string& path,
                                  const std::filesystem::path& relative_to = {});

}  // namespace attnlab

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
