// Runs trials in worker processes, at most `jobs` at once: launches them,
// follows their progress, retries or stops on failure, and turns SIGINT/SIGTERM
// into a clean stop (running trials stop at their next step; a second signal
// kills them).
#pragma once

#include <csignal>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/run_observer.hpp"
#include "attnlab/run/worker_pool.hpp"

namespace attnlab {

struct SchedulerOptions {
  int retries = 0;         // extra runs of a failed trial
  bool fail_fast = false;  // stop everything at the first failure
  /// The program that runs one trial as `PROGRAM trial TICKET --output FILE --log FILE`:
  /// this very executable, for the attnlab command line.
  std::string worker_program = "/proc/self/exe";
};

/// Whether the trial of plan index `index` belongs to share `share` of `shares`
/// (1-based): the shares of a job array partition the plan.
inline bool in_share(int64_t index, int64_t share, int64_t shares) {
  return index % shares == share - 1;
}

/// How many trials to run at once on `cpus` CPUs (available_cpus(): the affinity
/// mask, the cgroup quota, SLURM's allocation) so that workers times
/// train.threads never exceed them; at least 1.
int default_jobs(int cpus, const std::vector<const Trial*>& trials);

/// A trial's work relative to others of its plan: its steps times its
/// estimated memory (activations and parameters grow with the arithmetic of a
/// step). Orders trials longest first, so a sweep does not end waiting on one.
double estimated_work(const Trial& trial);

/// Where a scheduler takes its trials from, one at a time as slots free up:
/// a list, or (MPI) another process handing them out.
class TrialFeed {
 public:
  virtual ~TrialFeed() = default;
  /// The next trial to run; nullptr when there will be no more.
  virtual const Trial* next() = 0;
  /// Called about ten times a second while the run goes on (a feed that hands
  /// trials to other processes answers them here). True: another process of
  /// the same run stopped it (a failure with --fail-fast, a full disk, a signal),
  /// so this one stops too.
  virtual bool serve() { return false; }
  /// This process's run is stopping (why: `reason`); feed no more, and tell
  /// the other processes of the run.
  virtual void stopping(const std::string& reason) { (void)reason; }
};

/// Hands out `trials` in order.
class ListFeed final : public TrialFeed {
 public:
  explicit ListFeed(std::vector<const Trial*> trials) : trials_(trials.begin(), trials.end()) {}
  const Trial* next() override;

 private:
  std::deque<const Trial*> trials_;
};

/// How the scheduler starts a worker on one trial, and how the worker reads it:
/// `PROGRAM trial TICKET --output FILE --log FILE`.
struct WorkerCommand {
  std::string ticket, output, log;
};
std::vector<std::string> worker_arguments(const WorkerCommand& command);
/// The arguments after `trial`; Error with the usage if they are not those.
WorkerCommand parse_worker_arguments(const std::vector<std::string>& arguments);

/// Which trials of share `share` of `shares` (1-based) are to run: those without a
/// finished file, except those whose training diverged (their failure marker
/// says so: a result, not run again). A damaged file is set aside
/// (trials/unreadable/) and its trial runs again, said through `warn`; a stale
/// failure marker of a finished trial goes. `selected` counts the share's
/// trials, `diverged` those left out as diverged.
struct TrialSelection {
  std::vector<const Trial*> to_run;
  int64_t selected = 0;
  int64_t diverged = 0;
};
TrialSelection select_trials_to_run(const Experiment& experiment, const OutputLayout& layout,
                                    int64_t share, int64_t shares,
                                    const std::function<void(const std::string&)>& warn);

/// Counts SIGINT and SIGTERM from now on (the scheduler reacts to them).
void install_stop_handlers();

class TrialScheduler {
 public:
  TrialScheduler(const Experiment& experiment, const OutputLayout& layout,
                 const SchedulerOptions& options, RunObserver& observer, RunLock& lock)
      : experiment_(experiment),
        layout_(layout),
        options_(options),
        observer_(observer),
        lock_(lock),
        pool_(options.worker_program) {}

  /// Runs `trials`; returns how many failed for good (a trial whose training
  /// diverged did not fail: that is its result). Sets interrupted() on a signal.
  /// A trial that another run of the same plan is running is left to it and waited
  /// for; if that run ends without finishing it, this one runs it.
  int64_t run(const std::vector<const Trial*>& trials, int jobs);
  /// The same, taking each trial from `feed` when a slot is free.
  int64_t run(TrialFeed& feed, int jobs);
  bool interrupted() const { return interrupted_; }

 private:
  struct Attempt {
    const Trial* trial;
    int attempt;
  };
  void launch();
  void take_over_waiting();
  // Whether the trial's file is finished; a damaged one is set aside (kept for
  // a post-mortem, out of the way of the trial running again).
  bool finished_else_set_aside(const Trial& trial);
  // The same, or its training diverged (said to the observer either way): true
  // when the trial is settled, e.g. by another run of the plan meanwhile.
  bool settled_else_set_aside(const Trial& trial);
  void handle(const WorkerEvent& event);
  void handle_exit(const Attempt& attempt, const WorkerEvent& exit);
  std::string failure_reason(const Trial& trial, const WorkerEvent& exit);
  void stop_starting(const std::string& what, const std::string& remedy);
  void stop_for_io_error(const std::string& what);
  void handle_signals();
  // Stops starting trials; `signal` (0: none) goes to the running ones.
  void begin_stopping(const std::string& reason, int signal);

  const Experiment& experiment_;
  const OutputLayout& layout_;
  const SchedulerOptions& options_;
  RunObserver& observer_;
  RunLock& lock_;
  WorkerPool pool_;
  TrialFeed* feed_ = nullptr;  // during run()
  std::deque<Attempt> queue_;
  std::vector<Attempt> waiting_;  // claimed by another run of the same plan
  std::vector<Attempt> running_;
  int64_t failures_ = 0;
  bool stopping_ = false, interrupted_ = false;
  std::sig_atomic_t signals_seen_ = 0;
};

}  // namespace attnlab
