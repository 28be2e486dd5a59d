// Trials run as child processes of `attnlab run` (`attnlab trial ...`): a crash
// or an abort in one trial cannot take the others down, each has its own memory
// and thread pool, and a signal stops them all at a step boundary. Children die
// with the parent (PR_SET_PDEATHSIG), so a killed run leaves no orphan writing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

struct WorkerEvent {
  enum class Kind { progress, exited } kind = Kind::progress;
  int slot = 0;  // which running worker
  int64_t step = 0, steps = 0;
  double loss = 0.0, seconds = 0.0;
  int exit_code = 0;    // exited: the child's code, or 128 + signal if it was killed
  std::string failure;  // exited: the reason it reported ("@failed ..."), if any
};

class WorkerPool {
 public:
  /// Workers run `program` ("/proc/self/exe": this executable).
  explicit WorkerPool(std::string program) : program_(std::move(program)) {}
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  /// Starts the program with `arguments` and its stderr appended to `error_log`
  /// (crash reports land beside the trial's log); returns its slot.
  int start(const std::vector<std::string>& arguments, const std::string& error_log);
  /// Events of the workers, waiting at most timeout_ms for the first one.
  std::vector<WorkerEvent> poll(int timeout_ms);
  int running() const;
  /// Sends `signal` to every running worker.
  void signal_all(int signal);

 private:
  struct Worker {
    pid_t pid = -1;
    int output = -1;  // read end of the child's stdout
    std::string pending;
    std::string failure;
    bool done = false;
  };
  void reap(std::vector<WorkerEvent>& events);
  std::string program_;
  std::vector<Worker> workers_;
};

}  // namespace attnlab
