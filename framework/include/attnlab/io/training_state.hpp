// A trial's checkpoint to resume from (train.checkpoint_every): the model's
// parameters, the optimizer's moments, the random streams, every step's
// record so far and the parameters of every snapshot recorded so far, in one
// sealed HDF5 file beside the trial's (OUTPUT/trials/<id>.resume), replaced
// atomically at each checkpoint. Layout: docs/hdf5-layout.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/nn/module.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// The parameters of a model at one recorded step.
struct ParameterSnapshot {
  int64_t step = 0;
  std::map<std::string, Tensor> parameters;
};

/// What a resumed trial continues from.
struct ResumePoint {
  std::string trial_id;
  std::string init_digest;                   // of train.init_from's values ("" without one)
  std::map<std::string, Tensor> parameters;  // the model's at training.step
  TrainingState training;                    // its optimizer moments in the model's order
  std::vector<ParameterSnapshot> recorded;   // the snapshots taken up to training.step
  double seconds = 0.0;                      // wall time spent up to training.step
};

/// Writes `point` and `model`'s parameters (at point.training.step; not
/// point.parameters) to `path` atomically: complete and sealed, or not at all.
void write_resume_point(const std::filesystem::path& path, const ResumePoint& point,
                        const Module& model);

/// Reads the resume point at `path` (checked in a child process first: HDF5
/// may crash on a damaged file), checked to fit `model`, which it leaves as it
/// is: whether it is the trial's to continue is the caller's to judge before
/// loading its parameters. IoError naming the file when it is not a sealed
/// training state, is of a newer schema, is damaged, or does not fit the model
/// or itself.
ResumePoint read_resume_point(const std::filesystem::path& path, const Module& model);

/// Where run_trial keeps the resume point of the trial written to `trial_file`
/// (<id>.h5 -> <id>.resume; OutputLayout::resume_point).
std::filesystem::path resume_point_path(const std::filesystem::path& trial_file);

}  // namespace attnlab
