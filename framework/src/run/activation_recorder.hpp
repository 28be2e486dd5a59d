// Streams selected activations of fixed evaluation examples into a trial's
// HDF5 file: one chunk of examples at a time, each tensor written as soon as
// the forward pass reports it, so memory holds one chunk's activations at most.
#pragma once

#include <string>

#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/model/task_model.hpp"

namespace attnlab {

class ActivationRecorder {
 public:
  /// Draws the fixed examples (from the "record" stream of the trial's seed)
  /// and stores their tokens under /activations/inputs.
  ActivationRecorder(Hdf5File& file, const TrialSpec& spec, const Task& task);
  /// Records the selected activations of `model` under /activations/step_<step>.
  void record(const TaskModel& model, int64_t step);
  bool enabled() const { return !spec_.record.tensors.empty(); }

 private:
  Hdf5File& file_;
  const TrialSpec& spec_;
  TaskBatch examples_;
};

}  // namespace attnlab
