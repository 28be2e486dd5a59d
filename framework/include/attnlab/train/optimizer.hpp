// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the
// gradient, matching torch.optim.AdamW (decay applied to every parameter).
#pragma once

#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

struct AdamWOptions {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.01f;
};

/// What AdamW carries from one step to the next: the moments of every
/// parameter, in the order given to it, and the steps taken (bias correction).
struct AdamWState {
  int64_t steps = 0;
  std::vector<std::vector<float>> first_moment, second_moment;
};

class AdamW {
 public:
  AdamW(std::vector<Tensor> parameters, AdamWOptions options = {});
  /// One update with learning rate lr from the current gradients; parameters that
  /// have no gradient yet are left alone (as torch.optim.AdamW).
  void step(float lr);
  void zero_grad();
  int64_t steps_taken() const { return steps_; }
  AdamWState state() const { return {steps_, first_moment_, second_moment_}; }
  /// Continues from `state` (of an AdamW over parameters of the same sizes, else Error).
  void restore(AdamWState state);

 private:
  std::vector<Tensor> parameters_;
  std::vector<std::vector<float>> first_moment_, second_moment_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

/// Scales all gradients so their global L2 norm is at most max_norm (no-op if
/// max_norm <= 0). Returns the norm before clipping.
float clip_gradient_norm(const std::vector<Tensor>& parameters, float max_norm);

/// Linear warm-up from 0 to peak over warmup_steps, then cosine decay to
/// peak * final_ratio at total_steps (held there afterwards).
struct WarmupCosineSchedule {
  float peak = 1e-3f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  float final_ratio = 0.1f;

  /// Learning rate of step `step` (0-based).
  float at(int64_t step) const;
};

}  // namespace attnlab
