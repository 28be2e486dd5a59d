#include "attnlab/train/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

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

// What argmax predictions of one batch got right.
struct Tally {
  int64_t correct = 0, scored = 0;         // scored target positions
  int64_t exact = 0, examples_scored = 0;  // examples with every scored target right
};

// Tallies logits [B, ..., V] against targets (row-major, rows split evenly among
// the `examples` of the batch).
Tally tally(const Tensor& logits, const std::vector<int32_t>& targets, int64_t examples) {
  const int64_t vocab = logits.size(-1);
  const auto per_example = static_cast<int64_t>(targets.size()) / examples;
  Tally t;
  for (int64_t e = 0; e < examples; ++e) {
    int64_t scored = 0, correct = 0;
    for (int64_t r = e * per_example; r < (e + 1) * per_example; ++r) {
      if (targets[r] == kIgnoreTarget) continue;
      const float* row = logits.data() + r * vocab;
      correct += (std::max_element(row, row + vocab) - row) == targets[r];
      ++scored;
    }
    t.correct += correct;
    t.scored += scored;
    if (scored == 0) continue;
    ++t.examples_scored;
    t.exact += correct == scored;
  }
  return t;
}

// part / whole; NaN when nothing was counted (a figure of nothing is not 0).
float ratio(double part, int64_t whole) {
  if (whole == 0) return std::numeric_limits<float>::quiet_NaN();
  return static_cast<float>(part / static_cast<double>(whole));
}

// What an evaluation has summed so far.
struct EvaluationTotals {
  double loss = 0.0;  // summed over scored targets
  Tally counted;
  int64_t generated_correct = 0, generated_scored = 0;

  void add(const TaskModel& model, const TaskBatch& data, int64_t examples,
           const ForwardContext& context) {
    const Tensor logits = model.forward(data, context);
    const Tally t = tally(logits, data.targets, examples);
    if (t.scored > 0)  // the mean over a batch's scored targets, weighted by their number
      loss += ops::cross_entropy(logits, data.targets, kIgnoreTarget).item() *
              static_cast<double>(t.scored);
    counted.correct += t.correct;
    counted.scored += t.scored;
    counted.exact += t.exact;
    counted.examples_scored += t.examples_scored;
  }

  Evaluation figures(const std::string& setting, int64_t length, bool generated) const {
    return {.setting = setting,
            .length = length,
            .loss = ratio(loss, counted.scored),
            .accuracy = ratio(static_cast<double>(counted.correct), counted.scored),
            .exact_match = ratio(static_cast<double>(counted.exact), counted.examples_scored),
            .generation_accuracy =
                generated ? ratio(static_cast<double>(generated_correct), generated_scored)
                          : std::numeric_limits<float>::quiet_NaN()};
  }
};

}  // namespace

Evaluation evaluate(const TaskModel& model, const Task& task, int64_t length, int64_t batches,
                    int64_t batch, uint64_t seed, int64_t generation_batches,
                    const std::string& setting) {
  NoGradGuard no_grad;
  // Each length and each setting has its own stream, so adding an evaluation changes no
  // other figure, and two settings are not drawn from the same numbers.
  const std::string stream =
      setting.empty() ? fmt::format("eval-{}", length) : fmt::format("eval-setting-{}", setting);
  Rng rng = seeded_rng(seed, stream);
  // Randomized positions draw from a stream of their own: the data stay as they were.
  Rng position_rng = seeded_rng(seed, stream + "-positions");
  const ForwardContext context{.training = false,
                               .dropout_rng = nullptr,
                               .observer = nullptr,
                               .position_rng = &position_rng};
  EvaluationTotals totals;
  bool generates = generation_batches > 0;
  for (int64_t i = 0; i < batches; ++i) {
    const TaskBatch data = task.sample(model.shape(), batch, length, rng);
    totals.add(model, data, batch, context);
    if (!generates || i >= generation_batches) continue;
    const std::vector<int32_t> answers = model.generate_answers(data, context);
    generates = !answers.empty();
    for (std::size_t r = 0; r < answers.size(); ++r) {
      if (data.targets[r] == kIgnoreTarget) continue;
      totals.generated_correct += answers[r] == data.targets[r];
      ++totals.generated_scored;
    }
  }
  return totals.figures(setting, length, generates);
}

Evaluation evaluate_examples(const TaskModel& model, const TaskBatch& examples, int64_t count,
                             int64_t length, const std::string& setting) {
  NoGradGuard no_grad;
  EvaluationTotals totals;
  totals.add(model, examples, count, {});
  return totals.figures(setting, length, false);
}

std::vector<Evaluation> evaluate_all(const TaskModel& model, const Task& task,
                                     const TrainOptions& options,
                                     std::span<const EvaluationSetting> settings,
                                     const Task& validation_task) {
  std::vector<Evaluation> evaluations;
  const std::vector<int64_t> lengths =
      options.eval_lengths.empty() ? std::vector<int64_t>{task.length()} : options.eval_lengths;
  for (const int64_t length : lengths)
    evaluations.push_back(evaluate(model, task, length, options.eval_batches, options.batch,
                                   options.seed, options.generation_batches));
  for (const EvaluationSetting& setting : settings)
    evaluations.push_back(evaluate(model, *setting.task, setting.task->length(),
                                   options.eval_batches, options.batch, options.seed,
                                   options.generation_batches, setting.name));
  if (options.validation_batches > 0)
    evaluations.push_back(evaluate(model, validation_task, task.length(),
                                   options.validation_batches, options.batch, options.seed, 0,
                                   kValidationSetting));
  return evaluations;
}

namespace {

// A training batch with at least one scored target: a task may draw batches
// with none (flip_flop: no read instruction), which have nothing to learn from.
// Drawing again keeps the stream seeded; a task that never scores is an error.
TaskBatch scored_batch(const Task& task, ModelShape shape, int64_t batch, Rng& rng) {
  constexpr int kAttempts = 100;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    TaskBatch data = task.sample(shape, batch, task.length(), rng);
    if (std::any_of(data.targets.begin(), data.targets.end(),
                    [](int32_t target) { return target != kIgnoreTarget; }))
      return data;
  }
  throw Error(fmt::format(
      "the task gave {} training batches in a row with no scored target: nothing to learn "
      "from; its parameters may never score (e.g. flip_flop with ignore_probability 1), or a "
      "scored target is too rare at this train.batch and length",
      kAttempts));
}

}  // namespace

float learning_rate(const TrainOptions& options, int64_t step) {
  const float final_ratio =
      options.schedule == LearningRateSchedule::constant ? 1.0f : options.final_lr_ratio;
  return WarmupCosineSchedule{options.lr, options.warmup_steps, options.steps, final_ratio}.at(
      step);
}

namespace {

std::string rng_text(const Rng& rng) {
  std::ostringstream text;
  text << rng;
  return text.str();
}

void restore_rng(Rng& rng, const std::string& text, const char* which) {
  std::istringstream stream(text);
  stream >> rng;
  if (stream.fail())
    throw Error(fmt::format("a training state's {} stream is not a generator's state", which));
}

// The loss of `record` when it is finite; the error training stops with otherwise.
void check_finite_loss(const TrainRecord& record) {
  if (std::isfinite(record.loss)) return;
  const std::string loss_text =  // "nan", whatever its sign bit
      std::isnan(record.loss) ? "nan" : fmt::format("{}", record.loss);
  if (record.step == 1)  // no update yet: the model as built computes it, which is a fault
    throw Error(fmt::format(
        "the loss of the untrained model is {} at step 1, before any update: its forward "
        "pass is not finite as initialized (an initialization too large, or a plugin's "
        "bug), which is not divergence",
        loss_text));
  throw Error(fmt::format("{}: loss is {} at step {}", kDivergedMessage, loss_text, record.step));
}

}  // namespace

std::vector<TrainRecord> train(const TaskModel& model, const Task& task,
                               const TrainOptions& options,
                               const std::function<void(const TrainRecord&)>& on_step,
                               std::span<const EvaluationSetting> settings,
                               const TrainingCheckpoints& checkpoints) {
  Rng data_rng = seeded_rng(options.seed, "data");
  Rng dropout_rng = seeded_rng(options.seed, "dropout");
  Rng position_rng = seeded_rng(options.seed, "positions");
  const std::vector<Tensor> parameters = model.module().parameters();
  AdamW optimizer(parameters, options.adamw);
  std::vector<TrainRecord> history;
  if (const TrainingState* state = checkpoints.resume_from) {
    restore_rng(data_rng, state->data_rng, "data");
    restore_rng(dropout_rng, state->dropout_rng, "dropout");
    restore_rng(position_rng, state->position_rng, "position");
    optimizer.restore(state->optimizer);
    history = state->history;
  }
  const std::unique_ptr<Task> own_validation_task =
      options.validation_batches > 0 ? task.validation_task() : nullptr;
  const Task& validation_task = own_validation_task ? *own_validation_task : task;
  const ForwardContext context{.training = true,
                               .dropout_rng = &dropout_rng,
                               .observer = nullptr,
                               .position_rng = &position_rng};
  for (auto step = static_cast<int64_t>(history.size()); step < options.steps; ++step) {
    const TaskBatch data = scored_batch(task, model.shape(), options.batch, data_rng);
    Tensor loss = ops::cross_entropy(model.forward(data, context), data.targets, kIgnoreTarget);
    TrainRecord record{.step = step + 1,
                       .loss = loss.item(),
                       .lr = learning_rate(options, step),
                       .grad_norm = 0.0f,
                       .eval = {}};
    check_finite_loss(record);
    loss.backward();
    record.grad_norm = clip_gradient_norm(parameters, options.clip_norm);
    optimizer.step(record.lr);
    optimizer.zero_grad();
    const bool last = step + 1 == options.steps;
    if (last || (options.eval_every > 0 && (step + 1) % options.eval_every == 0))
      record.eval = evaluate_all(model, task, options, settings, validation_task);
    history.push_back(record);
    if (on_step) on_step(record);
    if (!last && checkpoints.save && options.checkpoint_every > 0 &&
        (step + 1) % options.checkpoint_every == 0)
      checkpoints.save({.step = step + 1,
                        .optimizer = optimizer.state(),
                        .data_rng = rng_text(data_rng),
                        .dropout_rng = rng_text(dropout_rng),
                        .position_rng = rng_text(position_rng),
                        .history = history});
  }
  return history;
}

}  // namespace attnlab
