#include "isolated_read.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

void write_all(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t wrote = ::write(fd, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    done += static_cast<std::size_t>(wrote);
  }
}

[[noreturn]] void child(int out, const std::function<std::string()>& read) {
  int code = 0;
  std::string text;
  try {
    text = read();
  } catch (const std::exception& e) {
    text = e.what();
    code = 1;
  } catch (...) {
    text = "an unknown exception";
    code = 1;
  }
  write_all(out, text);
  ::close(out);
  ::_exit(code);  // no exit handlers: the parent's state is not the child's to tear down
}

// Reads the child's whole output until it closes the pipe or the deadline passes.
bool drain(int in, std::string& text, std::chrono::steady_clock::time_point deadline) {
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{in, POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) return false;
    const ssize_t got = ::read(in, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

std::string read_isolated(const std::function<std::string()>& read, const std::string& what,
                          std::chrono::seconds timeout) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0)
    throw IoError(fmt::format("{}: cannot create a pipe to read it: {}", what,
                              std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    throw IoError(fmt::format("{}: cannot fork to read it: {}", what, std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(ends[0]);
    child(ends[1], read);
  }
  ::close(ends[1]);
  std::string text;
  const bool ended = drain(ends[0], text, std::chrono::steady_clock::now() + timeout);
  ::close(ends[0]);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended)
    throw IoError(fmt::format("{}: damaged: reading it did not end within {} s", what,
                              timeout.count()));
  if (WIFSIGNALED(status))
    throw IoError(fmt::format("{}: damaged: reading it crashed the HDF5 library (signal {}, {})",
                              what, WTERMSIG(status), strsignal(WTERMSIG(status))));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw IoError(text);
  return text;
}

}  // namespace attnlab
