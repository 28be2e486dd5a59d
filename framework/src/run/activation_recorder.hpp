// Streams selected activations of fixed evaluation examples into a trial's
// HDF5 file: one chunk of examples at a time, each tensor handed to a writer
// thread as soon as the forward pass reports it, so training goes on while it
// is written and memory holds a bounded amount of activations waiting.
#pragma once

#include <string>

#include "../io/background_writer.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/model/task_model.hpp"

namespace attnlab {

class ActivationRecorder {
 public:
  /// Draws the fixed examples (from the "record" stream of the trial's seed)
  /// and stores their tokens under /activations/inputs.
  ActivationRecorder(Hdf5File& file, const TrialSpec& spec, const Task& task);
  /// Records the selected activations of `model` under /activations/step_<step>:
  /// computed now, written in the background. Until finish() returns, nothing
  /// else may touch the file; rethrows an earlier write's error.
  void record(const TaskModel& model, int64_t step);
  /// Stores a copy of `model`'s parameters under /parameter_snapshots/step_<step>,
  /// written in the background as activations are.
  void record_parameters(const TaskModel& model, int64_t step);
  /// Returns when every recorded activation is written; rethrows a write's error.
  void finish() { writer_.finish(); }
  /// After training stopped with `training_error`: drops the writes still
  /// waiting (nothing is published) and waits for the one running. If a write
  /// failed, and that failure is not `training_error` itself (a write's error
  /// surfaces in training, at the next snapshot), throws an Error naming both;
  /// returns otherwise, for the caller to rethrow `training_error`.
  void abandon_after(const std::exception& training_error);
  bool enabled() const { return !spec_.record.tensors.empty(); }

 private:
  Hdf5File& file_;
  const TrialSpec& spec_;
  TaskBatch examples_;
  BackgroundWriter writer_;
};

}  // namespace attnlab
