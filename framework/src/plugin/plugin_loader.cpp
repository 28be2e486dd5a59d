// Loading out-of-tree plugins with Boost.DLL.
#define BOOST_DLL_USE_STD_FS
#include <fmt/format.h>

#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <mutex>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "library_file_check.hpp"
#include "registry/registries.hpp"

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

}  // namespace

std::filesystem::path locate_plugin(const std::string& path,
                                    const std::filesystem::path& relative_to) {
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

std::filesystem::path load_plugin(const std::string& path,
                                  const std::filesystem::path& relative_to) {
  const std::filesystem::path file = locate_plugin(path, relative_to);
  const std::string library = file.string();
  LoadedLibraries& state = loaded();
  std::lock_guard lock(state.mutex);
  if (state.paths.count(file)) return file;
  check_library_file(file);  // before the loader maps it
  // Kept loaded from here on, whatever happens next: loading ran the library's static
  // initialisers, which may already have put its code into a registry.
  const std::size_t registered_before = detail::registered_component_count();
  boost::dll::shared_library& handle = state.libraries.emplace_back();
  try {
    handle.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& error) {
    state.libraries.pop_back();  // nothing was loaded
    throw ConfigError(
        fmt::format("plugin {}: cannot be loaded as a shared library ({})", library, error.what()));
  }
  state.paths.insert(file);  // a second attempt would not undo what its initialisers did
  if (detail::registered_component_count() != registered_before)
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
  detail::add_components(registrar);
  return file;
}

}  // namespace attnlab
