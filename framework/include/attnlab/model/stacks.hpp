// Encoder and decoder stacks: embeddings, N blocks and (pre-LN) a final LayerNorm.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "attnlab/model/layers.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/model/token_batch.hpp"

namespace attnlab {

/// What a stack records its output under ("decoder.output"): the residual
/// stream after its last layer and, in a pre-LN model, its final norm; what
/// the model's head reads.
inline constexpr const char* kStackOutputName = "output";

/// Parameters: embed.*, positional.* (learned encodings), layers.<i>.*, final_norm.* (pre-LN only).
class Encoder : public Module {
 public:
  Encoder(const TransformerConfig& config, Rng& rng);
  /// source [B, S] -> [B, S, D]; padded keys (source.lengths) are masked.
  Tensor forward(const TokenBatch& source, const ForwardContext& context) const;

 private:
  EmbeddingStack embed_;
  std::unique_ptr<PositionalEncoding> positional_;
  int64_t random_positions_;
  std::vector<std::unique_ptr<EncoderLayer>> layers_;
  std::optional<LayerNorm> final_norm_;
};

/// Parameters: embed.*, positional.* (learned encodings), layers.<i>.*, final_norm.* (pre-LN only).
class Decoder : public Module {
 public:
  /// Keys and values of every layer for the positions generated so far.
  struct Cache {
    std::vector<DecoderLayer::Cache> layers;
    int64_t length = 0;  // positions already in the cache
  };

  Decoder(const TransformerConfig& config, int64_t vocab_size, bool cross_attention, Rng& rng);
  /// target [B, T] -> [B, T, D]. memory [B, S, D] with its key mask for
  /// cross-attention (undefined without). With a cache, target holds only the
  /// new tokens. `positions` places them (one each); empty: a pass's own
  /// positions (pass_positions), continuing after cache->length. Randomized
  /// positions with a cache must be given: generation draws those of the whole
  /// sequence first (positions_for), so cached and recomputed steps agree.
  Tensor forward(const TokenBatch& target, const Tensor& memory, const AttentionMask& memory_mask,
                 const ForwardContext& context, Cache* cache = nullptr,
                 Positions positions = {}) const;
  /// The positions of a whole sequence of `length` tokens, as forward draws them.
  std::vector<int64_t> positions_for(int64_t length, const ForwardContext& context) const;

 private:
  EmbeddingStack embed_;
  std::unique_ptr<PositionalEncoding> positional_;
  int64_t random_positions_;
  std::vector<std::unique_ptr<DecoderLayer>> layers_;
  std::optional<LayerNorm> final_norm_;
};

/// The stack's positional encoding, built from config.positional by name.
/// The name layer `index` of a stack is registered under ("layers.<index>"):
/// "decoder.layers.1" is the second decoder layer.
std::string layer_module_name(int64_t index);
/// What a layer records its output (the residual stream after it) as.
inline constexpr const char* kLayerOutputName = "output";

std::unique_ptr<PositionalEncoding> make_positional_encoding(const TransformerConfig& config,
                                                             Rng& rng);

/// Key padding mask of a batch (no mask when every row is full).
AttentionMask padding_mask(const TokenBatch& batch);

}  // namespace attnlab
