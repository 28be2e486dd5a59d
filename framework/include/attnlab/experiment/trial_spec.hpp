// A resolved trial configuration in typed form: what the trainer, the model
// and the recorder are built from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/model/config.hpp"
#include "attnlab/task/task.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// Which activations to keep (docs/hdf5-layout.md lists the names and shapes).
struct RecordOptions {
  std::vector<std::string> tensors;  // glob patterns over dotted names; empty = record nothing
  std::vector<int64_t> layers;       // layer indices kept; empty = every layer
  std::vector<int64_t> heads;        // head indices kept; empty = every head
  int64_t examples = 4;              // fixed evaluation examples recorded
  int64_t every = 0;                 // also record every k steps (0 = only after training)
};

struct TrialSpec {
  ModelShape shape = ModelShape::decoder;
  TransformerConfig model;
  ComponentChoice task;
  TrainOptions train;  // train.eval_lengths[0] is the task's training length
  RecordOptions record;
  int threads = 1;
  std::vector<std::string> plugins;  // absolute paths, loaded before anything is built
};

/// Typed view of a resolved trial configuration (as Trial::config). Loads the
/// plugins it names and builds the task to learn vocabulary and lengths.
TrialSpec trial_spec(const ConfigNode& resolved);

}  // namespace attnlab
