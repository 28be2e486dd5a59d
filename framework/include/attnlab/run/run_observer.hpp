// What a run tells whoever shows it (the command line's progress display, a
// test's log): the events of the trial scheduler, in the order they happen.
#pragma once

#include <cstdint>
#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab {

/// How progress names a trial: "#3 heads.count=4 seed 1" (and its tuned value).
std::string trial_label(const Trial& trial);
/// Its accuracies as progress shows them: "eval_accuracy 97.50%, eval_accuracy@16 40.00%".
std::string accuracy_summary(const TrialSummary& summary);

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void started(const Trial& trial, int attempt) = 0;
  virtual void progress(const Trial& trial, int64_t step, int64_t steps, double loss,
                        double seconds) = 0;
  virtual void finished(const Trial& trial, const TrialSummary& summary) = 0;
  /// `log`: the trial's log file; `will_retry`: it runs again (--retries).
  virtual void failed(const Trial& trial, const std::string& reason, const std::string& log,
                      bool will_retry) = 0;
  /// Its training diverged (`reason`): a result of its configuration, final
  /// like finished, never retried.
  virtual void diverged(const Trial& trial, const std::string& reason, const std::string& log) = 0;
  /// Stopped by this run (a signal, --fail-fast); it resumes next time.
  virtual void interrupted(const Trial& trial) = 0;
  /// Something the user should read (a trial set aside, another run's trials, a stop).
  virtual void message(const std::string& text) = 0;
  /// Called about ten times a second while the run waits (to redraw a display).
  virtual void tick() {}
};

}  // namespace attnlab
