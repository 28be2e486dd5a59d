// Ctrl-C during attnlab.run does what it does to `attnlab run`: the first
// SIGINT (or SIGTERM) stops the running trials at their next step, a second
// kills them (install_stop_handlers, run/trial_scheduler.hpp). Python's own
// handlers are set aside for the run and put back when it ends; runs.cpp then
// raises KeyboardInterrupt for a run that was stopped.
#pragma once

#include <csignal>

namespace attnlab::python {

class SchedulerSignals {
 public:
  /// Hands SIGINT and SIGTERM to the scheduler when `main_thread` (Python
  /// delivers signals to its main thread only, and lets only that thread
  /// change their handlers); from another thread, leaves them to Python.
  explicit SchedulerSignals(bool main_thread);
  /// Puts Python's handlers back.
  ~SchedulerSignals();
  SchedulerSignals(const SchedulerSignals&) = delete;
  SchedulerSignals& operator=(const SchedulerSignals&) = delete;

 private:
  bool installed_ = false;
  struct sigaction interrupt_ {};
  struct sigaction terminate_ {};
};

}  // namespace attnlab::python
