#include "attnlab/process/external_program.hpp"

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

namespace attnlab {
namespace {

using Clock = std::chrono::steady_clock;

// Reads both pipes to their ends at once (a program that fills one while we wait
// on the other would otherwise wait forever), until `deadline` if there is one.
// Returns false if the deadline passed first.
bool read_both(int out, int err, ProgramOutcome& outcome,
               std::optional<Clock::time_point> deadline) {
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  std::string* texts[2] = {&outcome.output, &outcome.errors};
  char buffer[4096];
  int open = 2;
  bool in_time = true;
  while (open > 0) {
    int timeout = -1;
    if (deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) {
        in_time = false;
        break;
      }
      timeout = static_cast<int>(left.count());
    }
    if (::poll(fds, 2, timeout) < 0) {
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
  return in_time;
}

}  // namespace

bool ProgramOutcome::succeeded() const {
  return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ProgramOutcome run_program(const std::vector<std::string>& argv, std::chrono::seconds wall_time) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(out[0]);
    ::close(out[1]);
    throw IoError(fmt::format("cannot run {}: {}", argv[0], std::strerror(error)));
  }
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
  ProgramOutcome outcome;
  std::optional<Clock::time_point> deadline;
  if (wall_time.count() > 0) deadline = Clock::now() + wall_time;
  if (!read_both(out[0], err[0], outcome, deadline)) {
    outcome.timed_out = true;
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(pid, &outcome.status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

std::string failure_text(const ProgramOutcome& outcome) {
  std::string message = outcome.errors;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (outcome.timed_out) return "it did not finish in time and was killed";
  if (WIFSIGNALED(outcome.status))
    return fmt::format("killed by signal {} ({}){}", WTERMSIG(outcome.status),
                       strsignal(WTERMSIG(outcome.status)), message.empty() ? "" : ": " + message);
  return message.empty() ? fmt::format("exit status {} and no message", WEXITSTATUS(outcome.status))
                         : message;
}

std::optional<std::filesystem::path> find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(name)
                                             : std::nullopt;
  const char* path = std::getenv("PATH");
  std::istringstream folders(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const std::filesystem::path candidate =
        std::filesystem::path(folder.empty() ? "." : folder) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate))
      return candidate;
  }
  return std::nullopt;
}

}  // namespace attnlab
