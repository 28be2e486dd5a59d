// Loading out-of-tree plugins with Boost.DLL.
#define BOOST_DLL_USE_STD_FS
#include <fmt/format.h>

#include <array>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <mutex>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "library_file_check.hpp"

namespace attnlab {
namespace {

struct LoadedLibraries {
  std::mutex mutex;
  std::vector<boost::dll::shared_library>
      libraries;  // never unloaded: their code backs the registries
  std::set<std::filesystem::path> paths;
};

LoadedLibraries& loaded() {
  static auto* instance = new LoadedLibraries;  // never destroyed, so never unloaded at exit
  return *instance;
}

std::filesystem::path locate(const std::string& path, const std::filesystem::path& relative_to) {
  const std::filesystem::path given(path);
  std::vector<std::filesystem::path> tried;
  if (given.is_absolute()) {
    tried.push_back(given);
  } else {
    tried.push_back(relative_to.empty() ? given : relative_to / given);
    if (const char* search = std::getenv("ATTNLAB_PLUGIN_PATH")) {
      std::string folders = search;
      for (std::size_t start = 0; start <= folders.size();) {
        const std::size_t end = std::min(folders.find(':', start), folders.size());
        if (end > start)
          tried.push_back(std::filesystem::path(folders.substr(start, end - start)) / given);
        start = end + 1;
      }
    }
  }
  for (const auto& candidate : tried) {
    std::error_code unusable;  // a name too long for the file system is simply not there
    if (std::filesystem::is_regular_file(candidate, unusable))
      return std::filesystem::weakly_canonical(candidate);
  }
  std::string places;
  for (const auto& candidate : tried) places += fmt::format("\n  {}", candidate.string());
  throw ConfigError(
      fmt::format("plugin '{}' not found; looked at:{}\n(set ATTNLAB_PLUGIN_PATH to add folders)",
                  path, places));
}

template <class Component>
void refuse_clashes(const Registry<Component>& registry,
                    const std::vector<typename Registry<Component>::Entry>& entries,
                    const std::string& library) {
  std::set<std::string> seen;
  for (const auto& entry : entries) {
    if (registry.contains(entry.name))
      throw ConfigError(fmt::format("plugin {}: {} '{}' is already registered (from {})", library,
                                    Component::kKind, entry.name,
                                    registry.find(entry.name).origin));
    if (!seen.insert(entry.name).second)
      throw ConfigError(
          fmt::format("plugin {}: registers {} '{}' twice", library, Component::kKind, entry.name));
  }
}

template <class Component>
void add_all(Registry<Component>& registry,
             std::vector<typename Registry<Component>::Entry>& entries) {
  for (auto& entry : entries) registry.add(std::move(entry));
}

}  // namespace

void PluginRegistrar::add_attention(Registry<AttentionVariant>::Entry entry) {
  stamp(attention, std::move(entry));
}
void PluginRegistrar::add_positional(Registry<PositionalEncoding>::Entry entry) {
  stamp(positional, std::move(entry));
}
void PluginRegistrar::add_head_layout(Registry<HeadLayout>::Entry entry) {
  stamp(head_layouts, std::move(entry));
}
void PluginRegistrar::add_task(Registry<Task>::Entry entry) {
  stamp(tasks, std::move(entry));
}

std::filesystem::path load_plugin(const std::string& path,
                                  const std::filesystem::path& relative_to) {
  const std::filesystem::path file = locate(path, relative_to);
  const std::string library = file.string();
  LoadedLibraries& state = loaded();
  std::lock_guard lock(state.mutex);
  if (state.paths.count(file)) return file;
  check_library_file(file);  // before the loader maps it
  // Kept loaded from here on, whatever happens next: loading ran the library's static
  // initialisers, which may already have put its code into a registry.
  const std::array<std::size_t, 4> sizes_before{
      attention_registry().entries().size(), positional_registry().entries().size(),
      head_layout_registry().entries().size(), task_registry().entries().size()};
  boost::dll::shared_library& handle = state.libraries.emplace_back();
  try {
    handle.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    state.libraries.pop_back();  // nothing was loaded
    throw ConfigError(
        fmt::format("plugin {}: cannot be loaded as a shared library ({})", library, error.what()));
  }
  state.paths.insert(file);  // a second attempt would not undo what its initialisers did
  const std::array<std::size_t, 4> sizes_after{
      attention_registry().entries().size(), positional_registry().entries().size(),
      head_layout_registry().entries().size(), task_registry().entries().size()};
  if (sizes_after != sizes_before)
    throw ConfigError(
        fmt::format("plugin {}: registers components while loading (static initialisers); a plugin "
                    "must register through ATTNLAB_PLUGIN(...) so its names are checked",
                    library));
  for (const char* symbol : {"attnlab_plugin_api_version", "attnlab_plugin_register"})
    if (!handle.has(symbol))
      throw ConfigError(
          fmt::format("plugin {}: has no entry symbol '{}'; was it built with ATTNLAB_PLUGIN(...)?",
                      library, symbol));
  const int version = handle.get<int() noexcept>("attnlab_plugin_api_version")();
  if (version != kPluginApiVersion)
    throw ConfigError(fmt::format(
        "plugin {}: built for plugin API version {}, but this attnlab speaks version {}; "
        "rebuild the plugin against this attnlab",
        library, version, kPluginApiVersion));
  PluginRegistrar registrar(library);
  if (const char* failure =
          handle.get<const char*(PluginRegistrar*) noexcept>("attnlab_plugin_register")(&registrar))
    throw ConfigError(fmt::format("plugin {}: registration failed: {}", library, failure));
  refuse_clashes(attention_registry(), registrar.attention, library);
  refuse_clashes(positional_registry(), registrar.positional, library);
  refuse_clashes(head_layout_registry(), registrar.head_layouts, library);
  refuse_clashes(task_registry(), registrar.tasks, library);
  add_all(attention_registry(), registrar.attention);
  add_all(positional_registry(), registrar.positional);
  add_all(head_layout_registry(), registrar.head_layouts);
  add_all(task_registry(), registrar.tasks);
  return file;
}

}  // namespace attnlab
