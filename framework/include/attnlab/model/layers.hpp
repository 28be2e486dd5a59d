// Encoder and decoder blocks: attention and FFN sublayers with residuals and LayerNorm.
#pragma once

#include <optional>

#include "attnlab/attention/multi_head_attention.hpp"
#include "attnlab/model/config.hpp"

namespace attnlab {

/// The attention heads of a model: config.head_layout built for config.heads.
HeadDimensions head_dimensions(const TransformerConfig& config);

/// Self-attention (both directions) then FFN.
/// Parameters: self_attn.*, ffn.*, self_attn_norm.*, ffn_norm.* (no ffn.* and ffn_norm.* when
/// ffn_dim is 0: an attention-only block). Records "output" [B, T, D]
/// (the residual stream after the block).
class EncoderLayer : public Module {
 public:
  EncoderLayer(const TransformerConfig& config, Rng& rng);
  /// x [B, T, D]; mask: key padding of x -> [B, T, D]. `positions` acts in self-attention.
  Tensor forward(const Tensor& x, const AttentionMask& mask, const TokenPositions& positions,
                 const ForwardContext& context) const;

 private:
  NormPlacement norm_;
  float dropout_;
  MultiHeadAttention self_attn_;
  std::optional<FeedForward> ffn_;  // none in an attention-only block (ffn_dim 0)
  LayerNorm self_attn_norm_, ffn_norm_;
};

/// Masked (causal) self-attention, then cross-attention over the encoder output
/// (Q from the decoder, K and V from the encoder), then FFN. A decoder-only
/// language model uses the block without cross-attention.
/// Parameters: self_attn.*, cross_attn.* (if any), ffn.*, self_attn_norm.*, cross_attn_norm.* (if
/// any), ffn_norm.* (no ffn.* and ffn_norm.* when ffn_dim is 0).
class DecoderLayer : public Module {
 public:
  struct Cache {
    KeyValueCache self_attention;
    KeyValueCache cross_attention{.keys = {}, .values = {}, .fixed = true, .key_positions = {}};
  };

  DecoderLayer(const TransformerConfig& config, bool cross_attention, Rng& rng);
  /// x [B, T, D]; memory [B, S, D] (ignored without cross-attention) -> [B, T, D].
  /// `positions` acts in the masked self-attention only.
  Tensor forward(const Tensor& x, const Tensor& memory, const AttentionMask& memory_mask,
                 const TokenPositions& positions, const ForwardContext& context,
                 Cache* cache = nullptr) const;

 private:
  NormPlacement norm_;
  float dropout_;
  bool causal_;
  MultiHeadAttention self_attn_;
  std::optional<MultiHeadAttention> cross_attn_;
  std::optional<FeedForward> ffn_;  // none in an attention-only block (ffn_dim 0)
  LayerNorm self_attn_norm_, ffn_norm_, cross_attn_norm_;
};

}  // namespace attnlab
