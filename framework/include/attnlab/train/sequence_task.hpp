// Copy and reverse as next-token prediction for a decoder-only model:
// the sequence is x_1 .. x_n SEP y_1 .. y_n with y = x (copy) or y = reversed x
// (reverse); the loss counts only the y positions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/model/token_batch.hpp"
#include "attnlab/nn/module.hpp"

namespace attnlab {

/// Inputs and the target of every input position (ignore_index where nothing is predicted).
struct LanguageModelBatch {
  TokenBatch inputs;             // [B, 2n]
  std::vector<int32_t> targets;  // [B * 2n]
};

enum class SequenceTaskKind { copy, reverse };

struct SequenceTask {
  static constexpr int32_t kIgnore = -100;

  SequenceTaskKind kind = SequenceTaskKind::reverse;
  int64_t symbols = 8;  // content tokens 0 .. symbols - 1; the separator is `symbols`
  int64_t length = 6;   // n

  int64_t vocab_size() const { return symbols + 1; }
  int32_t separator() const { return static_cast<int32_t>(symbols); }
  /// `batch` random sequences drawn from rng. Throws ConfigError for an empty task.
  LanguageModelBatch sample(int64_t batch, Rng& rng) const;
};

SequenceTaskKind parse_sequence_task(const std::string& name);
std::string to_string(SequenceTaskKind kind);

}  // namespace attnlab
