// A trained model evaluated again, from its file alone: on its own task as
// its training last did, or with the task and the evaluation changed
// (`attnlab eval`).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attnlab/io/saved_model.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// The keys an evaluation may change (as `-o KEY=VALUE` prefixes): the task,
/// the evaluation, plugins, and the batch, seed and threads evaluation uses.
/// Every other key describes the model, which stays as trained.
const std::vector<std::string>& reevaluation_keys();

struct Reevaluation {
  std::string task;   // "reverse (length 8)"
  std::string setup;  // "4 batches of 32, seed 0, 1 thread": what the figures depend on
  int64_t trained_length = 0;
  std::vector<Evaluation> evaluations;  // as evaluate_all returns them

  /// Every figure by its final figure's name (eval_loss, eval_accuracy@16, …),
  /// in order: the names a trial file's /final attributes have.
  std::vector<std::pair<std::string, double>> figures() const;
};

/// Which examples an evaluation reads.
enum class EvaluatedExamples {
  evaluation,  // the evaluation's batches, as training's last evaluation drew them
  recorded,    // the record.examples examples a trial records its activations on
               // (stored under /activations/inputs when it records), figures
               // named eval_<metric>[recorded]: what a re-implementation can read
};

/// The setting name of figures on the recorded examples.
inline constexpr const char* kRecordedExamplesSetting = "recorded";

/// Evaluates `saved` as its training's last evaluation did, on the same
/// examples (so, at the thread count it trained with, to the trial's final
/// figures bit for bit), after applying `overrides` (KEY=VALUE) to its
/// configuration. ConfigError naming the key for one outside
/// reevaluation_keys(), and naming both for a task whose vocabulary, classes
/// or readout differ from the model's.
/// With EvaluatedExamples::recorded, it evaluates the recorded examples
/// instead (at the training length; ConfigError when record.examples is 0).
Reevaluation reevaluate(const SavedModel& saved, const std::vector<std::string>& overrides = {},
                        EvaluatedExamples examples = EvaluatedExamples::evaluation);

}  // namespace attnlab
