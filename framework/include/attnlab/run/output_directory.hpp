// The output directory of an experiment before a run: only attnlab's files in
// it, its plan (plan.yaml, with a fingerprint of the trials), the refusal to
// mix in another plan, and the locks that let runs of one plan share the work
// while a run of another plan is refused.
#pragma once

#include <memory>
#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab {

/// Held for a whole run: while it lives, no run of another plan can start in
/// the directory, and runs of the same plan claim trials one at a time.
class RunLock {
 public:
  RunLock(int run_fd, int claims_fd, bool shared)
      : run_fd_(run_fd), claims_fd_(claims_fd), shared_(shared) {}
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  /// Whether another run of the same plan was already working in the directory.
  bool shared() const { return shared_; }
  /// Claims trial `index` for this run (false: another run has it); released by release().
  bool claim(int64_t index);
  void release(int64_t index);

 private:
  bool lock_byte(int64_t index, short type);
  int run_fd_, claims_fd_;
  bool shared_;
};

/// Which trials runs hold right now, asked without taking or writing anything
/// (`attnlab status`): a run's claim on a trial ends with the run, however it ends.
class ClaimsProbe {
 public:
  explicit ClaimsProbe(const OutputLayout& layout);
  ~ClaimsProbe();
  ClaimsProbe(const ClaimsProbe&) = delete;
  ClaimsProbe& operator=(const ClaimsProbe&) = delete;
  bool held(int64_t index) const;

 private:
  int fd_ = -1;
};

/// Held while a directory's trials are read to write its results (`attnlab
/// merge`): no run of another plan, and no --force, can start meanwhile; runs
/// of the same plan can. ConfigError if the directory's plan is not
/// `experiment`'s, or a run of another plan works there. Writes nothing but
/// lock files.
std::unique_ptr<RunLock> hold_output_directory(const Experiment& experiment,
                                               const OutputLayout& layout);

/// Creates the directory, removes temporaries of killed runs of this host,
/// writes plan.yaml and returns the lock held for the run. Refused (ConfigError):
/// a directory holding files attnlab did not write; one holding another plan
/// (unless `force`, which moves what belongs to the old plan to superseded/);
/// any change of plan while another run works in the directory. IoError if the
/// directory's filesystem does not provide working locks (flock and fcntl
/// locks that exclude another holder), which runs sharing it rely on.
std::unique_ptr<RunLock> prepare_output_directory(const Experiment& experiment,
                                                  const OutputLayout& layout, bool force);

}  // namespace attnlab
