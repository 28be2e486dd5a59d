// What attnlab.run shows while trials train: plain lines on Python's
// sys.stderr (so a notebook shows them too), as `attnlab run` prints them
// when its output is not a terminal; quiet: only the trials that failed or
// diverged.
#pragma once

#include <map>
#include <string>

#include "attnlab/run/run_observer.hpp"

namespace attnlab::python {

class RunProgress final : public RunObserver {
 public:
  explicit RunProgress(bool quiet) : quiet_(quiet) {}

  void started(const Trial& trial, int attempt) override;
  void progress(const Trial& trial, int64_t step, int64_t steps, double loss,
                double seconds) override;
  void finished(const Trial& trial, const TrialSummary& summary) override;
  void failed(const Trial& trial, const std::string& reason, const std::string& log,
              bool will_retry) override;
  void diverged(const Trial& trial, const std::string& reason, const std::string& log) override;
  void interrupted(const Trial& trial) override;
  void message(const std::string& text) override;

  /// One line on sys.stderr, whatever `quiet` says. Called without the GIL:
  /// takes it for the write only.
  static void write_line(const std::string& text);

 private:
  bool quiet_;
  std::map<int64_t, int64_t> logged_half_;  // by trial index: the last half of training logged
};

}  // namespace attnlab::python
