#include "attnlab/run/worker_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <sstream>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"

namespace attnlab {
namespace {

WorkerEvent parse_progress(int slot, const std::string& line) {
  WorkerEvent event;
  event.slot = slot;
  std::istringstream fields(line.substr(6));
  fields >> event.step >> event.steps >> event.loss >> event.seconds;
  return event;
}

}  // namespace

WorkerPool::~WorkerPool() {
  for (Worker& worker : workers_)
    if (!worker.done) {
      kill(worker.pid, SIGKILL);
      waitpid(worker.pid, nullptr, 0);
      close(worker.output);
    }
}

int WorkerPool::start(const std::vector<std::string>& arguments, const std::string& error_log) {
  int pipe_ends[2];
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) throw Error("cannot create a pipe for a trial worker");
  std::vector<std::string> argv_text = arguments;
  argv_text.insert(argv_text.begin(), "attnlab");
  std::vector<char*> argv;
  for (std::string& text : argv_text) argv.push_back(text.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    throw Error("cannot start a trial worker (fork failed)");
  }
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    // SIGINT/SIGTERM stay blocked across exec (the mask is inherited): the
    // worker takes them with sigwait on a thread of its own, and until then an
    // early stop request is held, not fatal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(137);  // the parent died before prctl took effect
    dup2(pipe_ends[1], STDOUT_FILENO);
    const int log = open_log_for_append(error_log.c_str());
    if (log >= 0) dup2(log, STDERR_FILENO);
    execv(program_.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_ends[1]);
  workers_.push_back({pid, pipe_ends[0], "", "", false});
  return static_cast<int>(workers_.size()) - 1;
}

int WorkerPool::running() const {
  int count = 0;
  for (const Worker& worker : workers_) count += !worker.done;
  return count;
}

void WorkerPool::signal_all(int signal) {
  for (const Worker& worker : workers_)
    if (!worker.done) kill(worker.pid, signal);
}

std::vector<WorkerEvent> WorkerPool::poll(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<int> slots;
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (!workers_[i].done && workers_[i].output >= 0) {
      fds.push_back({workers_[i].output, POLLIN, 0});
      slots.push_back(static_cast<int>(i));
    }
  std::vector<WorkerEvent> events;
  if (fds.empty()) {
    reap(events);
    return events;
  }
  const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
  if (ready < 0 && errno != EINTR) throw Error("waiting for trial workers failed");
  for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    Worker& worker = workers_[static_cast<std::size_t>(slots[i])];
    char buffer[4096];
    const ssize_t got = read(worker.output, buffer, sizeof buffer);
    if (got <= 0) {  // end of output: the child has exited or is about to
      close(worker.output);
      worker.output = -1;
      continue;
    }
    worker.pending.append(buffer, static_cast<std::size_t>(got));
    std::size_t newline;
    while ((newline = worker.pending.find('\n')) != std::string::npos) {
      const std::string line = worker.pending.substr(0, newline);
      worker.pending.erase(0, newline + 1);
      if (line.rfind("@step ", 0) == 0) events.push_back(parse_progress(slots[i], line));
      if (line.rfind("@failed ", 0) == 0) worker.failure = line.substr(8);
    }
  }
  reap(events);
  return events;
}

void WorkerPool::reap(std::vector<WorkerEvent>& events) {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker& worker = workers_[i];
    if (worker.done || worker.output >= 0) continue;  // still has output to drain
    int status = 0;
    if (waitpid(worker.pid, &status, 0) != worker.pid) continue;
    worker.done = true;
    WorkerEvent event;
    event.kind = WorkerEvent::Kind::exited;
    event.slot = static_cast<int>(i);
    event.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    event.failure = worker.failure;
    events.push_back(event);
  }
}

}  // namespace attnlab
