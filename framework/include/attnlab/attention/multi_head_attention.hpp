// Multi-head attention as the seed note describes it: project the input with
// W_Q, W_K, W_V (with bias), split into heads, attend per head with the chosen
// attention variant, concatenate the heads, multiply by one W_O. With the seed's
// layout (mha, split width) every projection is d_model -> d_model and
// d_k = d_model / h; a head layout may share key/value heads or fix d_k.
#pragma once

#include <cstdint>
#include <memory>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/attention/head_layout.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/nn/layers.hpp"
#include "attnlab/nn/module.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

/// Keys and values of positions already seen, for token-by-token generation.
struct KeyValueCache {
  Tensor keys;    // [B, g, t, d_k] (g key/value heads, before sharing)
  Tensor values;  // [B, g, t, d_v]
  /// Cross-attention: filled once from the encoder output, then reused as is.
  bool fixed = false;
  std::vector<int64_t> key_positions;  // [t]: the positions of the cached keys
};

/// A positional encoding and the absolute positions of the tokens a pass adds.
struct TokenPositions {
  const PositionalEncoding& encoding;
  Positions positions;
};

/// Parameters: q_proj [h d_k, d_model], k_proj and v_proj [g d_k, d_model],
/// o_proj [d_model, h d_k] (Linear weights and biases; for the seed's layout,
/// h = g and h d_k = d_model, all [d_model, d_model]). Records "q" [B, h, T, d_k],
/// "k", "v" [B, g, S, d_k] (g key/value heads, before sharing across query heads),
/// "scores" and "weights" [B, h, T, S], "head_outputs" [B, h, T, d_k],
/// "concat" [B, T, d_model] and "output" [B, T, d_model].
class MultiHeadAttention : public Module {
 public:
  /// The names it records its attention under ("<path>.weights", "<path>.scores").
  static constexpr const char* kWeightsName = "weights";
  static constexpr const char* kScoresName = "scores";

  /// Throws ConfigError unless heads >= 1 divides d_model, or if `attention`
  /// names no registered variant or gives it parameters it does not have. The
  /// variant is a child module called "variant".
  MultiHeadAttention(int64_t d_model, int64_t heads, float dropout, Rng& rng,
                     const ComponentChoice& attention = {"softmax", {}});
  /// Any head layout: `dimensions` from a HeadLayout (query heads, key/value heads, d_k).
  MultiHeadAttention(int64_t d_model, const HeadDimensions& dimensions, float dropout, Rng& rng,
                     const ComponentChoice& attention = {"softmax", {}});

  /// query_input [B, T, D]; key_value_input [B, S, D] (the same tensor for
  /// self-attention, the encoder output for cross-attention) -> [B, T, D].
  /// A mask the variant cannot honour is a ConfigError (never silently dropped).
  /// With a cache, new keys/values are appended to it (or, if fixed and filled,
  /// taken from it) and the queries attend over all of them. `positions`
  /// (self-attention only: one position per new token) may rotate q and k and
  /// add a score bias; cached keys keep the positions they had.
  Tensor forward(const Tensor& query_input, const Tensor& key_value_input,
                 const AttentionMask& mask, const ForwardContext& context,
                 KeyValueCache* cache = nullptr, const TokenPositions* positions = nullptr) const;

  int64_t heads() const { return heads_; }
  int64_t kv_heads() const { return kv_heads_; }
  /// Per-head gates xi [h] multiplying the head outputs before they are
  /// concatenated (Michel et al. 2019): 1 keeps a head, 0 removes it, and the
  /// gradient of a loss with respect to xi is each head's importance. Pass an
  /// undefined Tensor to remove the gates. Throws ConfigError for a wrong shape
  /// or a variant without the head_gating capability.
  void set_head_gates(Tensor gates);
  /// Per-head offsets [h, d_k] added to each head's output after its gate, at
  /// every position: with gate 0 and the head's mean output, mean ablation.
  /// Undefined removes them. ConfigError as for the gates.
  void set_head_offsets(Tensor offsets);
  int64_t head_width() const { return head_width_; }

 private:
  void require_capabilities(const AttentionMask& mask, bool score_bias) const;

  int64_t heads_, kv_heads_, head_width_;
  float dropout_;
  Linear q_proj_, k_proj_, v_proj_, o_proj_;
  std::unique_ptr<Linear> kv_down_;  // [D -> latent] when the layout has a latent, else null
  std::string variant_name_;
  AttentionVariant::Capabilities capabilities_;
  std::unique_ptr<AttentionVariant> variant_;
  Tensor head_gates_;    // [h] or undefined
  Tensor head_offsets_;  // [h, d_k] or undefined
};

}  // namespace attnlab
