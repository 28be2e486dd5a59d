// A finished trial brought back to life: its model rebuilt from the
// configuration its file holds and its final parameters loaded, so that
// analysis never depends on what the experiment chose to record. Head
// metrics and interventions run on it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnlab/analysis/head_metrics.hpp"
#include "attnlab/io/saved_model.hpp"

namespace attnlab::analysis {

class TrainedTrial {
 public:
  /// Reads trial file `path` (checked as results are: seal, schema, id) and
  /// rebuilds its model. IoError naming the file and what is missing when it
  /// is not a finished attnlab trial.
  explicit TrainedTrial(const std::filesystem::path& path);
  ~TrainedTrial();
  TrainedTrial(const TrainedTrial&) = delete;
  TrainedTrial& operator=(const TrainedTrial&) = delete;

  const std::string& id() const { return id_; }
  const std::string& arm() const { return arm_; }
  uint64_t seed() const { return seed_; }
  const TrialSpec& spec() const { return saved_->spec(); }
  const Task& task() const { return saved_->task(); }
  const TaskModel& model() const { return saved_->model(); }
  /// The model for interventions (head gates and offsets; its parameters stay).
  TaskModel& model() { return saved_->model(); }

  /// `count` examples at the training length, drawn from the trial's own
  /// "analysis" random stream: the same examples on every call.
  TaskBatch examples(int64_t count) const;

  /// Whether the trial recorded activations (and so has recorded examples).
  bool recorded_activations() const {
    return !spec().record.tensors.empty() && spec().record.examples > 0;
  }

  /// The examples the trial recorded its activations on (its final recorded
  /// weights are those of attention_patterns() on them). ConfigError naming
  /// the trial when it recorded nothing.
  TaskBatch recorded_examples() const;

  /// The attention weights of every attention module of the model on `batch`
  /// (a forward pass without gradients), with which keys each query could
  /// see and the tokens at both ends.
  std::vector<AttentionPattern> attention_patterns(const TaskBatch& batch) const;

 private:
  std::string id_, arm_;
  uint64_t seed_ = 0;
  std::unique_ptr<SavedModel> saved_;
};

}  // namespace attnlab::analysis
