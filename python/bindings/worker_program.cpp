#include "worker_program.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "attnlab/error.hpp"

namespace fs = std::filesystem;

namespace attnlab::python {
namespace {

bool is_executable_file(const fs::path& path) {
  std::error_code ignored;
  return fs::is_regular_file(path, ignored) && ::access(path.c_str(), X_OK) == 0;
}

// The folder this module was loaded from, symbolic links resolved.
fs::path module_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&worker_program), &info) == 0 || info.dli_fname == nullptr)
    throw Error("attnlab._core cannot tell where it was loaded from (dladdr failed)");
  std::error_code ignored;
  return fs::weakly_canonical(fs::absolute(info.dli_fname), ignored).parent_path();
}

bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code ignored;
  return fs::equivalent(a, b, ignored);
}

}  // namespace

std::string worker_program() {
  if (const char* chosen = std::getenv("ATTNLAB_EXECUTABLE"); chosen != nullptr && *chosen) {
    if (!is_executable_file(chosen))
      throw ConfigError(fmt::format(
          "ATTNLAB_EXECUTABLE={}: not an executable file (it should name the attnlab command "
          "line, which runs each trial of attnlab.run in a worker process)",
          chosen));
    return chosen;
  }
  const fs::path folder = module_folder();
  const bool in_build_tree = same_folder(folder, ATTNLAB_PYTHON_BUILD_FOLDER);
  const fs::path program = in_build_tree
                               ? fs::path(ATTNLAB_CLI_IN_BUILD_TREE)
                               : (folder / ATTNLAB_CLI_FROM_INSTALLED_MODULE).lexically_normal();
  if (!is_executable_file(program))
    throw ConfigError(fmt::format(
        "attnlab.run needs the attnlab command line, which runs each trial in a worker process, "
        "and it is not at {} ({}); build it (target attnlab_cli), or set ATTNLAB_EXECUTABLE to "
        "it",
        program.string(),
        in_build_tree ? "where this build tree puts it"
                      : "where cmake --install puts it beside this module"));
  return program.string();
}

}  // namespace attnlab::python
