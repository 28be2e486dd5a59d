#include "attnlab/train/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "attnlab/error.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {

const NamedChoices<LearningRateSchedule>& schedule_names() {
  static const NamedChoices<LearningRateSchedule> names{
      {"cosine", LearningRateSchedule::cosine}, {"constant", LearningRateSchedule::constant}};
  return names;
}
namespace {

// Correct argmax predictions and counted positions of one batch of logits [B, T, V].
std::pair<int64_t, int64_t> count_correct(const Tensor& logits,
                                          const std::vector<int32_t>& targets) {
  const int64_t vocab = logits.size(-1);
  int64_t correct = 0, counted = 0;
  for (std::size_t r = 0; r < targets.size(); ++r) {
    if (targets[r] == kIgnoreTarget) continue;
    const float* row = logits.data() + static_cast<int64_t>(r) * vocab;
    correct += (std::max_element(row, row + vocab) - row) == targets[r];
    ++counted;
  }
  return {correct, counted};
}

}  // namespace

Evaluation evaluate(const TaskModel& model, const Task& task, int64_t length, int64_t batches,
                    int64_t batch, uint64_t seed) {
  NoGradGuard no_grad;
  // Each length has its own stream, so adding an evaluation length changes no other figure.
  Rng rng = seeded_rng(seed, fmt::format("eval-{}", length));
  double loss = 0.0;
  int64_t correct = 0, counted = 0;
  for (int64_t i = 0; i < batches; ++i) {
    const TaskBatch data = task.sample(model.shape(), batch, length, rng);
    const Tensor logits = model.forward(data);
    loss += ops::cross_entropy(logits, data.targets, kIgnoreTarget).item();
    const auto [c, n] = count_correct(logits, data.targets);
    correct += c;
    counted += n;
  }
  return {length, static_cast<float>(loss / static_cast<double>(batches)),
          static_cast<float>(static_cast<double>(correct) /
                             static_cast<double>(std::max<int64_t>(counted, 1)))};
}

float learning_rate(const TrainOptions& options, int64_t step) {
  const float final_ratio =
      options.schedule == LearningRateSchedule::constant ? 1.0f : options.final_lr_ratio;
  return WarmupCosineSchedule{options.lr, options.warmup_steps, options.steps, final_ratio}.at(
      step);
}

std::vector<TrainRecord> train(const TaskModel& model, const Task& task,
                               const TrainOptions& options,
                               const std::function<void(const TrainRecord&)>& on_step) {
  Rng data_rng = seeded_rng(options.seed, "data");
  Rng dropout_rng = seeded_rng(options.seed, "dropout");
  const std::vector<Tensor> parameters = model.module().parameters();
  AdamW optimizer(parameters, options.adamw);
  const std::vector<int64_t> eval_lengths =
      options.eval_lengths.empty() ? std::vector<int64_t>{task.length()} : options.eval_lengths;
  const ForwardContext context{.training = true, .dropout_rng = &dropout_rng, .observer = nullptr};
  std::vector<TrainRecord> history;
  for (int64_t step = 0; step < options.steps; ++step) {
    const TaskBatch data = task.sample(model.shape(), options.batch, task.length(), data_rng);
    Tensor loss = ops::cross_entropy(model.forward(data, context), data.targets, kIgnoreTarget);
    TrainRecord record{.step = step + 1,
                       .loss = loss.item(),
                       .lr = learning_rate(options, step),
                       .grad_norm = 0.0f,
                       .eval = {}};
    if (!std::isfinite(record.loss))
      throw Error(
          fmt::format("training diverged: loss is {} at step {}", record.loss, record.step));
    loss.backward();
    record.grad_norm = clip_gradient_norm(parameters, options.clip_norm);
    optimizer.step(record.lr);
    optimizer.zero_grad();
    const bool last = step + 1 == options.steps;
    if (last || (options.eval_every > 0 && (step + 1) % options.eval_every == 0))
      for (const int64_t length : eval_lengths)
        record.eval.push_back(
            evaluate(model, task, length, options.eval_batches, options.batch, options.seed));
    history.push_back(record);
    if (on_step) on_step(record);
  }
  return history;
}

}  // namespace attnlab
