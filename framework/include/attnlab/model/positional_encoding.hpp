// Absolute positional information added to token embeddings.
#pragma once

#include "attnlab/model/config.hpp"
#include "attnlab/nn/module.hpp"

namespace attnlab {

class PositionalEncoding : public Module {
 public:
  PositionalEncoding(PositionalKind kind, int64_t d_model, int64_t max_length, Rng& rng);
  /// The term added to the embeddings of positions [offset, offset + length):
  /// [length, D], or an undefined Tensor for PositionalKind::none.
  /// Throws ConfigError past max_length for a learned table.
  Tensor positions(int64_t offset, int64_t length) const;

 private:
  PositionalKind kind_;
  int64_t d_model_, max_length_;
  Tensor table_;  // learned: parameter "weight" [max_length, D]
};

/// Token embedding plus positional term, with dropout: [B, T] ids -> [B, T, D].
/// Records "token_embedding" [B, T, D] and "positional" [T, D].
class EmbeddingStack : public Module {
 public:
  EmbeddingStack(const TransformerConfig& config, int64_t vocab_size, Rng& rng);
  Tensor forward(std::span<const int32_t> ids, const Shape& ids_shape, int64_t position_offset,
                 const ForwardContext& context) const;

 private:
  Embedding tokens_;
  PositionalEncoding positions_;
  float dropout_;
};

}  // namespace attnlab
