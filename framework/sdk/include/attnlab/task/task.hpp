// The task plugin interface: a seeded generator of batches for one of the three
// model shapes, with its vocabulary, its lengths and its metrics.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/model/token_batch.hpp"
#include "attnlab/named_choices.hpp"
#include "attnlab/nn/module.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

enum class ModelShape { encoder, decoder, encoder_decoder };
std::string to_string(ModelShape shape);
/// "encoder", "decoder", "encoder_decoder".
const NamedChoices<ModelShape>& model_shape_names();

/// Target of a position that is not scored (cross_entropy's ignore_index).
inline constexpr int32_t kIgnoreTarget = -100;

/// One batch for one model shape.
struct TaskBatch {
  TokenBatch source;             // encoder input [B, S] (encoder, encoder-decoder)
  TokenBatch target_input;       // decoder input [B, T] (decoder, encoder-decoder; shifted right)
  std::vector<int32_t> targets;  // one per output position, row-major; kIgnoreTarget = not scored
};

/// Examples [first, first + count) of a batch of `examples` examples: their
/// tokens, lengths and targets (each example holds as many targets).
TaskBatch rows_of(const TaskBatch& batch, int64_t examples, int64_t first, int64_t count);

class Task {
 public:
  static constexpr const char* kKind = "task";
  static constexpr const char* kPlural = "tasks";
  static constexpr const char* kKey = "tasks";
  /// The model shapes the task can be posed to, and what its batches hold.
  struct Capabilities {
    bool encoder = false;
    bool decoder = false;
    bool encoder_decoder = false;
    bool sequence_labels = false;
    bool pads = false;
    bool byte_tokens = false;

    static constexpr std::array<CapabilityField<Capabilities>, 6> fields() {
      return {{{"encoder", &Capabilities::encoder, "can be posed to an encoder"},
               {"decoder", &Capabilities::decoder, "can be posed to a decoder-only model"},
               {"encoder_decoder", &Capabilities::encoder_decoder,
                "can be posed to an encoder-decoder"},
               {"sequence_labels", &Capabilities::sequence_labels,
                "an encoder batch holds one target per sequence (a class for the whole input, "
                "read out from the mean of the encoder's final states), not one per position"},
               {"pads", &Capabilities::pads,
                "batches may hold sequences shorter than the batch, right-padded with their "
                "lengths given (the attention variant must then honour padding masks)"},
               {"byte_tokens", &Capabilities::byte_tokens,
                "its tokens are the bytes of a text: pictures and the report label them as "
                "characters (trial files say so: activations/inputs attribute tokens = bytes)"}}};
    }
  };
  struct BuildContext {};

  /// How files say what a task's tokens are (attribute `tokens`): "bytes" of a
  /// text (byte_tokens), or plain "ids".
  static constexpr std::string_view token_kind(const Capabilities& capabilities) {
    return capabilities.byte_tokens ? "bytes" : "ids";
  }

  virtual ~Task() = default;
  /// Token ids used anywhere (inputs and targets) are < vocab_size().
  virtual int64_t vocab_size() const = 0;
  /// Classes an encoder's targets are drawn from (< num_classes()); by default
  /// the vocabulary (token classification).
  virtual int64_t num_classes() const { return vocab_size(); }
  /// The training length (the task's `length` parameter, in its own units).
  virtual int64_t length() const = 0;
  /// Longest sequence a model of `shape` reads for a task of `length`.
  virtual int64_t sequence_length(ModelShape shape, int64_t length) const = 0;
  /// `batch` examples of `length` (training uses length(); evaluation may ask
  /// for longer ones to test extrapolation), drawn from rng.
  virtual TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const = 0;
  /// The task a validation evaluation (eval.validation_batches, what tune:
  /// selects on) draws from. A task whose examples come from a fixed pool, such
  /// as a corpus, returns itself on a part of the pool kept out of training and
  /// of the test evaluation, so that a choice is never made on trained-on data;
  /// by default none (nullptr): the task itself, whose fresh examples the
  /// validation evaluation draws from a stream of its own.
  virtual std::unique_ptr<Task> validation_task() const { return nullptr; }
};

/// The registry of tasks (built-ins: plugins/tasks/).
inline Registry<Task>& task_registry() {
  return registry_of<Task>();
}

/// Appends one decoder row to `batch` (whose target_input must be made for rows
/// of sequence.size() - 1 tokens): the model reads sequence[0 .. n-2] and at
/// position p predicts sequence[p + 1], scored only where scored[p + 1].
void append_next_token_row(TaskBatch& batch, const std::vector<int32_t>& sequence,
                           const std::vector<bool>& scored);

/// A token drawn uniformly from first .. first + count - 1.
inline int32_t uniform_token(Rng& rng, int64_t count, int64_t first = 0) {
  return static_cast<int32_t>(first + static_cast<int64_t>(rng() % static_cast<uint64_t>(count)));
}

/// Makes items[0 .. count - 1] a uniformly random choice of `count` of the
/// items, in random order (the first steps of a Fisher-Yates shuffle).
template <class Item>
void shuffle_prefix(std::vector<Item>& items, int64_t count, Rng& rng) {
  const auto size = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < count && i < size; ++i)
    std::swap(items[i], items[i + static_cast<int64_t>(rng() % static_cast<uint64_t>(size - i))]);
}

/// Copy-like tasks: the answer is a function of a random input sequence.
///   decoder:         x_1 .. x_n SEP y_1 .. y_n, scored on the y's
///   encoder-decoder: source x, decoder input SEP y_1 .. y_{n-1}, targets y
///   encoder:         input x, target y_i at position i (token classification)
/// Content tokens are 0 .. symbols - 1; SEP (also the start token) is `symbols`.
class SequenceTransductionTask : public Task {
 public:
  SequenceTransductionTask(int64_t symbols, int64_t length);
  int64_t vocab_size() const override { return symbols_ + 1; }
  int64_t length() const override { return length_; }
  int32_t separator() const { return static_cast<int32_t>(symbols_); }
  int64_t sequence_length(ModelShape shape, int64_t length) const override;
  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override;

 protected:
  /// The answer for input x (same length as x).
  virtual std::vector<int32_t> answer(const std::vector<int32_t>& x) const = 0;

 private:
  int64_t symbols_, length_;
};

/// The `symbols` and `length` parameters of SequenceTransductionTask (for registering one).
std::vector<ParameterSpec> sequence_transduction_parameters();

}  // namespace attnlab
