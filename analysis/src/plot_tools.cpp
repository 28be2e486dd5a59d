#include "attnlab/analysis/plot_tools.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "attnlab/error.hpp"

namespace attnlab::analysis {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with Debian's packages
constexpr const char* kPackages = "python3 python3-h5py python3-numpy python3-matplotlib";

struct Finished {
  int status = 0;
  std::string output, errors;
};

// Reads both pipes to their ends at once (a tool that fills one while we wait
// on the other would otherwise wait forever).
void read_both(int out, int err, Finished& finished) {
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  std::string* texts[2] = {&finished.output, &finished.errors};
  char buffer[4096];
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        texts[i]->append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      ::close(fds[i].fd);
      fds[i].fd = -1;  // poll skips it from now on
      --open;
    }
  }
  for (const pollfd& fd : fds)
    if (fd.fd >= 0) ::close(fd.fd);
}

// Runs argv without a shell; stdout and stderr kept apart. The tool dies with
// this process (a report stopped by a signal leaves no plotting behind).
Finished run(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl took effect
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execv(argv[0].c_str(), args.data());
    _exit(127);
  }
  const int spawn_error = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(spawn_error)));
  }
  Finished finished;
  read_both(out[0], err[0], finished);
  while (::waitpid(pid, &finished.status, 0) < 0 && errno == EINTR) {
  }
  return finished;
}

// Why a tool that did not exit 0 failed, in one message.
std::string failure_text(const Finished& finished) {
  std::string message = finished.errors;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (WIFSIGNALED(finished.status))
    return fmt::format("killed by signal {} ({}){}", WTERMSIG(finished.status),
                       strsignal(WTERMSIG(finished.status)), message.empty() ? "" : ": " + message);
  return message.empty()
             ? fmt::format("exit status {} and no message", WEXITSTATUS(finished.status))
             : message;
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
  if (!WIFEXITED(finished.status) || WEXITSTATUS(finished.status) != 0)
    throw Error(fmt::format("{} failed: {}", script.filename().string(), failure_text(finished)));
  std::vector<std::filesystem::path> written;
  std::istringstream lines(finished.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) written.emplace_back(line);
  return written;
}

}  // namespace attnlab::analysis
