// Multi-head attention as the seed note describes it: project the input with
// W_Q, W_K, W_V (d_model -> d_model, with bias), split each into h heads of
// d_k = d_model / h, attend per head, concatenate the heads, multiply by W_O.
#pragma once

#include <cstdint>

#include "attnlab/nn/layers.hpp"
#include "attnlab/nn/module.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {

/// What one attention computation produced, per head.
struct AttentionResult {
  Tensor output;   // [B, h, T, d_v]  head outputs
  Tensor weights;  // [B, h, T, S]    attention probabilities (rows sum to 1 over keys)
  Tensor scores;   // [B, h, T, S]    q k^T / sqrt(d_k), before masking and softmax
};

/// softmax(q k^T / sqrt(d_k)) v per head. q [B, h, T, d_k], k [B, h, S, d_k],
/// v [B, h, S, d_v]; `mask` as in masked_softmax (key lengths per batch item).
AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask);

/// Keys and values of positions already seen, for token-by-token generation.
struct KeyValueCache {
  Tensor keys;    // [B, h, t, d_k]
  Tensor values;  // [B, h, t, d_v]
  /// Cross-attention: filled once from the encoder output, then reused as is.
  bool fixed = false;
};

/// Parameters: q_proj, k_proj, v_proj, o_proj (each a Linear with weight
/// [d_model, d_model] and bias [d_model]). Records "q", "k", "v" [B, h, T|S, d_k],
/// "scores" and "weights" [B, h, T, S], "head_outputs" [B, h, T, d_k],
/// "concat" [B, T, d_model] and "output" [B, T, d_model].
class MultiHeadAttention : public Module {
 public:
  /// Throws ConfigError unless heads >= 1 divides d_model.
  MultiHeadAttention(int64_t d_model, int64_t heads, float dropout, Rng& rng);

  /// query_input [B, T, D]; key_value_input [B, S, D] (the same tensor for
  /// self-attention, the encoder output for cross-attention) -> [B, T, D].
  /// With a cache, new keys/values are appended to it (or, if fixed and filled,
  /// taken from it) and the queries attend over all of them.
  Tensor forward(const Tensor& query_input, const Tensor& key_value_input,
                 const AttentionMask& mask, const ForwardContext& context,
                 KeyValueCache* cache = nullptr) const;

  int64_t heads() const { return heads_; }
  int64_t head_width() const { return head_width_; }

 private:
  std::pair<Tensor, Tensor> keys_and_values(const Tensor& key_value_input,
                                            KeyValueCache* cache) const;

  int64_t heads_, head_width_;
  float dropout_;
  Linear q_proj_, k_proj_, v_proj_, o_proj_;
};

}  // namespace attnlab
