// How much memory one trial needs, estimated from its configuration alone, so
// that validation refuses a trial that cannot fit before anything is allocated
// (a dry forward pass at eval length 20000 once took 12.5 GB to find that out).
// The formulas and how they were checked: docs/reliability.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

struct MemoryEstimate {
  double parameters_bytes = 0;  // weights, gradients and the optimizer's two moments
  double training_bytes = 0;    // activations kept for backward at train.batch x task.length
  double evaluation_bytes = 0;  // a no-grad forward at train.batch x the longest length
  double recording_bytes = 0;   // recorded activations waiting for the writer thread
  // The parameters of every record.every snapshot, which a trial with
  // train.checkpoint_every keeps to write into each resume point.
  double snapshot_bytes = 0;
  int64_t longest_evaluation = 0;
  double total() const;
  /// The keys whose values drive the largest part (model.d_model, ... for the
  /// parameters; task.length and train.batch for training; eval.lengths).
  std::vector<std::string> driving_keys() const;
  /// "about 1.2 GiB (parameters and optimizer 10 MiB, training ... , evaluation at length L ...)".
  std::string describe() const;
};

MemoryEstimate estimate_memory(const TrialSpec& spec, const Task& task);

/// The memory this process may still use: the smallest of the system's available
/// memory (MemAvailable), what its cgroup's memory.max leaves, and its address
/// space and data limits (ulimit -v, -d).
uint64_t available_memory_bytes();

}  // namespace attnlab
