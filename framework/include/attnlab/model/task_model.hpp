// A Transformer of one of the three shapes, posed to a task: a TaskBatch in,
// logits out, one row per entry of the batch's targets. The trainer, the
// evaluator and the activation recorder need nothing else.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/attention/multi_head_attention.hpp"
#include "attnlab/model/models.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

class TaskModel {
 public:
  /// Builds the model for `shape`; the vocabulary (and, for the encoder, the
  /// classes) must already be those of the task.
  TaskModel(ModelShape shape, const TransformerConfig& config, Rng& rng);
  ~TaskModel();
  TaskModel(const TaskModel&) = delete;
  TaskModel& operator=(const TaskModel&) = delete;

  ModelShape shape() const { return shape_; }
  /// Logits [B, T, V] whose row-major rows line up with batch.targets.
  Tensor forward(const TaskBatch& batch, const ForwardContext& context = {}) const;
  /// Free-running answers, the model's own outputs fed back (no teacher
  /// forcing), one per target (kIgnoreTarget where not scored). A decoder
  /// continues each example's input up to its first scored position by as many
  /// tokens as it has scored targets; an encoder-decoder decodes greedily from
  /// its start token (a padded source is masked as in training). Empty where
  /// the batch has no such form: an encoder, a decoder input with lengths, or a
  /// row whose scored targets are not one run (unscored padding may follow it).
  std::vector<int32_t> generate_answers(const TaskBatch& batch,
                                        const ForwardContext& context = {}) const;
  /// Continues `prompt` by `steps` tokens (a decoder), or, for an
  /// encoder-decoder, decodes `steps` tokens after `start_token` for each row
  /// of `prompt` as its source; with the key/value cache where the model
  /// allows one. `choose` picks each token (the argmax when empty).
  /// ConfigError for an encoder, which classifies and generates nothing.
  Generation generate(const TokenBatch& prompt, int64_t steps, int32_t start_token,
                      const TokenChooser& choose = {}) const;
  /// The underlying model (parameters, checkpoints).
  const Module& module() const { return *module_; }
  /// Every multi-head attention module with its dotted path ("decoder.layers.0.self_attn"),
  /// in model order: where interventions set head gates and offsets.
  std::vector<std::pair<std::string, MultiHeadAttention*>> attention_modules();

 private:
  ModelShape shape_;
  bool cached_;  // whether generation may use a key/value cache: the causal mask, and a
                 // variant that reads no earlier queries
  std::unique_ptr<Module> module_;
};

/// The model configuration `config` adapted to `task` in `shape`: vocabularies
/// and classes from the task; max_length raised to the longest of `lengths`
/// when it is 0 ("auto"); the encoder's readout per sequence when the task's
/// registration `declared` sequence_labels (a Task object cannot say it).
TransformerConfig configure_for_task(TransformerConfig config, const Task& task, ModelShape shape,
                                     const std::vector<int64_t>& lengths,
                                     const Task::Capabilities& declared);

}  // namespace attnlab
