#include "attnlab/analysis/plot_tools.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "attnlab/error.hpp"

extern char** environ;

namespace attnlab::analysis {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with Debian's packages
constexpr const char* kPackages = "python3 python3-h5py python3-numpy python3-matplotlib";

struct Finished {
  int status = 0;
  std::string output, errors;
};

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// Runs argv without a shell; stdout and stderr kept apart (stderr read after
// stdout: the tools write little to either, far below a pipe's buffer).
Finished run(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0)
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, err[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (spawned != 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)));
  }
  Finished finished;
  finished.output = read_all(out[0]);
  finished.errors = read_all(err[0]);
  while (::waitpid(pid, &finished.status, 0) < 0 && errno == EINTR) {
  }
  return finished;
}

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
  const Finished finished = run(argv);
  if (!WIFEXITED(finished.status) || WEXITSTATUS(finished.status) != 0) {
    std::string message = finished.errors;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error(fmt::format("{} failed: {}", script.filename().string(),
                            message.empty() ? "no message" : message));
  }
  std::vector<std::filesystem::path> written;
  std::istringstream lines(finished.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) written.emplace_back(line);
  return written;
}

}  // namespace attnlab::analysis
