#include "isolated_child.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

// The child's report: a tag, then the text. Its exit status means nothing (a
// plugin or a sanitizer may call exit with any), so a report without its tag
// is no report.
constexpr char kReturned = 'R', kThrewError = 'E', kThrewOther = 'O';

[[noreturn]] void child(int out, const std::function<std::string()>& work,
                        std::chrono::seconds cpu_time) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the run (it would hold no lock, but spin)
  if (out != 3) {                      // only the pipe stays open: no lock of the parent's
    ::dup2(out, 3);
    out = 3;
  }
  ::close_range(4, ~0U, 0);
  const rlimit limit{static_cast<rlim_t>(cpu_time.count()), static_cast<rlim_t>(cpu_time.count())};
  ::setrlimit(RLIMIT_CPU, &limit);  // a spinning child gets SIGXCPU, then SIGKILL
  char tag = kReturned;
  std::string text;
  try {
    text = work();
  } catch (const Error& e) {
    text = e.what();
    tag = kThrewError;
  } catch (const std::exception& e) {
    text = e.what();
    tag = kThrewOther;
  } catch (...) {
    text = "an unknown exception";
    tag = kThrewOther;
  }
  write_all(out, std::string(1, tag) + text);
  ::close(out);
  ::_exit(0);  // no exit handlers: the parent's state is not the child's to tear down
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

ChildOutcome run_in_child(const std::function<std::string()>& work, const std::string& what,
                          std::chrono::seconds cpu_time, std::chrono::seconds wall_time) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0)
    throw IoError(
        fmt::format("{}: cannot create a pipe to a child process: {}", what, std::strerror(errno)));
  std::fflush(nullptr);  // what is buffered is printed once, by this process, not by the child too
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    throw IoError(fmt::format("{}: cannot fork a child process: {}", what, std::strerror(errno)));
  }
  if (pid == 0) {
    ::close(ends[0]);
    child(ends[1], work, cpu_time);
  }
  ::close(ends[1]);
  std::string report;
  const bool ended = drain(ends[0], report, std::chrono::steady_clock::now() + wall_time);
  ::close(ends[0]);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const double cpu_seconds =
      static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
      1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  const bool spun = cpu_seconds >= 0.9 * static_cast<double>(cpu_time.count());
  using Kind = ChildOutcome::Kind;
  ChildOutcome outcome;
  if (!ended) {  // not spinning (that ends in SIGXCPU), so waiting
    outcome.kind = Kind::stalled;
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.kind = outcome.signal == SIGXCPU || (outcome.signal == SIGKILL && spun)
                       ? Kind::out_of_cpu
                   : outcome.signal == SIGKILL ? Kind::killed
                                               : Kind::crashed;
  } else if (report.empty() ||
             (report[0] != kReturned && report[0] != kThrewError && report[0] != kThrewOther)) {
    outcome.kind = Kind::vanished;
    outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    outcome.kind = report[0] == kReturned     ? Kind::returned
                   : report[0] == kThrewError ? Kind::threw_error
                                              : Kind::threw_other;
    outcome.text = report.substr(1);
  }
  return outcome;
}

std::string describe(const ChildOutcome& outcome, const std::string& activity,
                     std::chrono::seconds cpu_time, std::chrono::seconds wall_time) {
  using Kind = ChildOutcome::Kind;
  switch (outcome.kind) {
    case Kind::returned:
      return fmt::format("{} ended", activity);
    case Kind::threw_error:
    case Kind::threw_other:
      return fmt::format("{} failed: {}", activity, outcome.text);
    case Kind::crashed:
      return fmt::format("{} crashed (signal {}, {})", activity, outcome.signal,
                         strsignal(outcome.signal));
    case Kind::out_of_cpu:
      return fmt::format("{} did not end within {} s of CPU time", activity, cpu_time.count());
    case Kind::killed:
      return fmt::format("{} was killed from outside (out of memory?)", activity);
    case Kind::stalled:
      return fmt::format("{} did not end within {} s (waiting, not computing)", activity,
                         wall_time.count());
    case Kind::vanished:
      return fmt::format("{} ended the process (exit status {}) without reporting", activity,
                         outcome.exit_status);
  }
  return activity;
}

}  // namespace attnlab
