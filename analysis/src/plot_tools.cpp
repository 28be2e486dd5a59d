#include "attnlab/analysis/plot_tools.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "attnlab/error.hpp"
#include "attnlab/process/external_program.hpp"

namespace attnlab::analysis {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with Debian's packages
constexpr const char* kPackages = "python3 python3-h5py python3-numpy python3-matplotlib";

}  // namespace

std::filesystem::path plot_tools_folder() {
  if (const char* chosen = std::getenv("ATTNLAB_PLOT_TOOLS")) return chosen;
  const std::filesystem::path installed = ATTNLAB_PLOT_TOOLS_INSTALLED;
  if (std::filesystem::exists(installed / "common.py")) return installed;
  return ATTNLAB_PLOT_TOOLS_SOURCE;
}

std::vector<std::filesystem::path> run_plot_tool(const std::string& name,
                                                 const std::vector<std::string>& arguments) {
  if (::access(kPython, X_OK) != 0)
    throw Error(
        fmt::format("the plots need {}, which is missing; install {} (as root: apt-get "
                    "install {}; scripts/attnlab-setup.sh does)",
                    kPython, kPackages, kPackages));
  const std::filesystem::path script = plot_tools_folder() / (name + ".py");
  if (!std::filesystem::exists(script))
    throw Error(
        fmt::format("the plotting tool {} is missing (set ATTNLAB_PLOT_TOOLS to the "
                    "folder holding analysis/plots/*.py)",
                    script.string()));
  std::vector<std::string> argv{kPython, script.string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const ProgramOutcome finished = run_program(argv);
  if (!finished.succeeded())
    throw Error(fmt::format("{} failed: {}", script.filename().string(), failure_text(finished)));
  std::vector<std::filesystem::path> written;
  std::istringstream lines(finished.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) written.emplace_back(line);
  return written;
}

}  // namespace attnlab::analysis
