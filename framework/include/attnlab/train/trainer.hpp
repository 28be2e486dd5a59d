// The training loop for a Transformer of any of the three shapes on a task.
// Same seed and same thread count give a bit-identical loss curve
// (docs/determinism.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "attnlab/model/task_model.hpp"
#include "attnlab/named_choices.hpp"
#include "attnlab/train/optimizer.hpp"

namespace attnlab {

enum class LearningRateSchedule {
  cosine,    // linear warm-up, then cosine decay to lr * final_lr_ratio
  constant,  // linear warm-up, then constant
};
/// "cosine", "constant".
const NamedChoices<LearningRateSchedule>& schedule_names();

/// The defaults here are the experiment schema's defaults (it reads them from here).
struct TrainOptions {
  int64_t steps = 600;
  int64_t batch = 32;
  float lr = 3e-3f;
  LearningRateSchedule schedule = LearningRateSchedule::cosine;
  int64_t warmup_steps = 50;
  float final_lr_ratio = 0.1f;
  float clip_norm = 1.0f;
  AdamWOptions adamw;
  uint64_t seed = 0;
  int64_t eval_every = 100;  // 0 = only at the end
  int64_t eval_batches = 4;
  int64_t generation_batches = 0;     // of those, also scored free-running (0 = none: it costs a
                                      // forward pass per generated token)
  std::vector<int64_t> eval_lengths;  // task lengths evaluated; empty = the training length only
  // Batches of a validation evaluation at the training length, drawn from a
  // stream of its own (never the test evaluation's examples), on the task's
  // validation_task() where it has one (a corpus's validation part): what
  // `tune:` selects on. 0 = none.
  int64_t validation_batches = 0;
  // Where the parameters start from ("" = the seed's initialization): a
  // checkpoint, trial or safetensors file, as an absolute path.
  std::string init_from;
  bool init_from_strict = true;  // every parameter must match (else the matching subset loads)
  // Steps between the checkpoints a killed trial resumes from (0 = none).
  int64_t checkpoint_every = 0;
};

/// The evaluation setting name of the validation evaluation: its figures are
/// eval_<metric>[validation]. No eval.settings name can be it (those are k=v).
inline constexpr const char* kValidationSetting = "validation";

struct Evaluation {
  std::string setting;  // "" for the trained task, else the eval.settings name
  int64_t length = 0;   // the task length evaluated
  float loss = std::numeric_limits<float>::quiet_NaN();
  float accuracy = std::numeric_limits<float>::quiet_NaN();  // over scored target positions
  // Share of examples whose every scored target is right (the whole answer).
  float exact_match = std::numeric_limits<float>::quiet_NaN();
  // Accuracy over scored targets when the model's own outputs are fed back
  // (TaskModel::generate_answers); NaN where the task has no such form.
  float generation_accuracy = std::numeric_limits<float>::quiet_NaN();

  /// One evaluated figure: its name in files and tables, and where it lives.
  struct Metric {
    const char* name;
    float Evaluation::*member;
    bool lower_is_better;
    bool optional;  // measured only when asked for and applicable (absent from files otherwise)
    const char* unit;
    // Every value the figure can take lies in [low, high]: what a table's
    // interval must respect, and what a `solved:` threshold is checked against.
    double low, high;
    const char* meaning;
  };
  /// Every figure an evaluation gives, in the order files and tables show them.
  static constexpr std::array<Metric, 4> metrics() {
    constexpr double kUnbounded = std::numeric_limits<double>::infinity();
    return {{{"loss", &Evaluation::loss, true, false, "nats", 0.0, kUnbounded,
              "teacher-forced cross-entropy over scored targets"},
             {"accuracy", &Evaluation::accuracy, false, false, "fraction", 0.0, 1.0,
              "argmax accuracy over scored targets"},
             {"exact_match", &Evaluation::exact_match, false, false, "fraction", 0.0, 1.0,
              "share of examples whose every scored target is right"},
             {"generation_accuracy", &Evaluation::generation_accuracy, false, true, "fraction", 0.0,
              1.0,
              "accuracy over scored targets when the model's own outputs are fed back (free "
              "running, no teacher forcing)"}}};
  }
};

struct TrainRecord {
  int64_t step = 0;  // 1-based: the number of updates done
  float loss = 0.0f;
  float lr = 0.0f;
  float grad_norm = 0.0f;
  std::vector<Evaluation> eval;  // one per evaluated length; empty where no evaluation ran
};

/// Teacher-forced loss (the mean over every scored target), token accuracy and
/// exact match at task length `length` on `batches` fixed batches drawn from
/// the "eval" stream of `seed` for that length, or for `setting` if one is
/// named (the same examples for every call with the same arguments); the first
/// `generation_batches` of them are also scored free-running
/// (generation_accuracy, NaN when none is or the task has no free-running form).
/// A figure over nothing scored is NaN.
Evaluation evaluate(const TaskModel& model, const Task& task, int64_t length, int64_t batches,
                    int64_t batch, uint64_t seed, int64_t generation_batches = 0,
                    const std::string& setting = "");

/// The teacher-forced figures (loss, accuracy, exact match) of `examples`, a
/// batch of `count` examples at task length `length`, under the name `setting`:
/// a forward pass as the activation recorder makes it (no training, positions
/// as outside training), on examples given rather than drawn.
Evaluation evaluate_examples(const TaskModel& model, const TaskBatch& examples, int64_t count,
                             int64_t length, const std::string& setting);

/// A task evaluated beside the trained one, never trained on (eval.settings).
struct EvaluationSetting {
  std::string name;  // what it changes, "ignore_probability=0.98"
  const Task* task;  // evaluated at its own length()
};

/// Everything an evaluation point measures: the task at each of
/// options.eval_lengths (its length when empty), each of `settings` at its own
/// length and, with options.validation_batches > 0, `validation_task` at the
/// task's length (setting kValidationSetting). What training measures every
/// eval_every steps and at its end, and `attnlab eval` on a trained model.
std::vector<Evaluation> evaluate_all(const TaskModel& model, const Task& task,
                                     const TrainOptions& options,
                                     std::span<const EvaluationSetting> settings,
                                     const Task& validation_task);

/// What train() throws when the loss becomes NaN or infinite after an update
/// begins with this (a trial that failed so diverged, a result; one that failed
/// otherwise, a non-finite loss of the untrained model included, may rerun).
inline constexpr const char* kDivergedMessage = "training diverged";

/// The learning rate of 0-based `step` under the options' schedule.
float learning_rate(const TrainOptions& options, int64_t step);

/// Everything training carries from one step to the next besides the model's
/// parameters: what a trial's checkpoint stores (train.checkpoint_every), so
/// that training continued from it ends exactly as training never stopped.
struct TrainingState {
  int64_t step = 0;  // updates done
  AdamWState optimizer;
  // The data, dropout and position streams (std::mt19937_64's text form).
  std::string data_rng, dropout_rng, position_rng;
  std::vector<TrainRecord> history;  // one record per step done
};

/// Where training starts and what it saves on the way.
struct TrainingCheckpoints {
  // Continue from this state (the model already holds its parameters); null: step 0.
  const TrainingState* resume_from = nullptr;
  // Called after every options.checkpoint_every-th step but the last, after on_step.
  std::function<void(const TrainingState&)> save;
};

/// Trains `model` in place on batches of the task's training length; calls
/// on_step (if set) after every step, and it may throw to stop training. Throws
/// Error if the loss becomes NaN or infinite. Returns every step's record
/// (those of a resumed state's steps first).
std::vector<TrainRecord> train(const TaskModel& model, const Task& task,
                               const TrainOptions& options,
                               const std::function<void(const TrainRecord&)>& on_step = {},
                               std::span<const EvaluationSetting> settings = {},
                               const TrainingCheckpoints& checkpoints = {});

}  // namespace attnlab
