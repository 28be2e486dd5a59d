// The training loop for a decoder-only model on a task (posed in its decoder shape). Same seed and
// same thread count give a bit-identical loss curve (docs/determinism.md).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "attnlab/model/models.hpp"
#include "attnlab/task/task.hpp"
#include "attnlab/train/optimizer.hpp"

namespace attnlab {

struct TrainOptions {
  int64_t steps = 600;
  int64_t batch = 32;
  float lr = 3e-3f;
  int64_t warmup_steps = 50;
  float final_lr_ratio = 0.1f;
  float clip_norm = 1.0f;
  AdamWOptions adamw;
  uint64_t seed = 0;
  int64_t eval_every = 100;  // 0 = only at the end
  int64_t eval_batches = 4;
};

struct Evaluation {
  float loss = std::numeric_limits<float>::quiet_NaN();
  float accuracy = std::numeric_limits<float>::quiet_NaN();  // over counted target positions
};

struct TrainRecord {
  int64_t step = 0;  // 1-based: the number of updates done
  float loss = 0.0f;
  float lr = 0.0f;
  float grad_norm = 0.0f;
  Evaluation eval;  // NaN where no evaluation ran
};

/// Teacher-forced loss and token accuracy on `batches` fixed batches drawn from
/// the "eval" stream of `seed` (the same examples for every call).
Evaluation evaluate(const DecoderLM& model, const Task& task, int64_t batches, int64_t batch,
                    uint64_t seed);

/// Trains `model` in place; calls on_step (if set) after every step. Throws
/// Error if the loss becomes NaN or infinite.
std::vector<TrainRecord> train(const DecoderLM& model, const Task& task,
                               const TrainOptions& options,
                               const std::function<void(const TrainRecord&)>& on_step = {});

}  // namespace attnlab
