#include "attnlab/attention/multi_head_attention.hpp"

#include <fmt/format.h>

#include <cmath>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

int64_t checked_head_width(int64_t d_model, int64_t heads) {
  if (heads < 1 || d_model < 1 || d_model % heads != 0)
    throw ConfigError(fmt::format(
        "heads = {} does not divide d_model = {}: each head gets d_k = d_model / heads features, "
        "so heads must be a divisor of d_model (e.g. 12288 = 96 x 128 in GPT-3)",
        heads, d_model));
  return d_model / heads;
}

}  // namespace

AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.size(-1)));
  AttentionResult result;
  result.scores = ops::scale(ops::matmul(q, k, false, true), scale);  // [B, h, T, S]
  result.weights = ops::masked_softmax(result.scores, mask);          // [B, h, T, S]
  result.output = ops::matmul(result.weights, v);                     // [B, h, T, d_v]
  return result;
}

MultiHeadAttention::MultiHeadAttention(int64_t d_model, int64_t heads, float dropout, Rng& rng)
    : heads_(heads),
      head_width_(checked_head_width(d_model, heads)),
      dropout_(dropout),
      q_proj_(d_model, d_model, rng),
      k_proj_(d_model, d_model, rng),
      v_proj_(d_model, d_model, rng),
      o_proj_(d_model, d_model, rng) {
  add_module("q_proj", q_proj_);
  add_module("k_proj", k_proj_);
  add_module("v_proj", v_proj_);
  add_module("o_proj", o_proj_);
}

std::pair<Tensor, Tensor> MultiHeadAttention::keys_and_values(const Tensor& key_value_input,
                                                              KeyValueCache* cache) const {
  if (cache && cache->fixed && cache->keys.defined()) return {cache->keys, cache->values};
  Tensor k = ops::split_heads(k_proj_.forward(key_value_input), heads_);  // [B, h, S, d_k]
  Tensor v = ops::split_heads(v_proj_.forward(key_value_input), heads_);  // [B, h, S, d_k]
  if (cache) {
    if (!cache->fixed && cache->keys.defined()) {
      k = ops::concat(std::vector{cache->keys, k}, 2);  // [B, h, t + S, d_k]
      v = ops::concat(std::vector{cache->values, v}, 2);
    }
    cache->keys = k;
    cache->values = v;
  }
  return {k, v};
}

Tensor MultiHeadAttention::forward(const Tensor& query_input, const Tensor& key_value_input,
                                   const AttentionMask& mask, const ForwardContext& context,
                                   KeyValueCache* cache) const {
  const Tensor q = ops::split_heads(q_proj_.forward(query_input), heads_);  // [B, h, T, d_k]
  const auto [k, v] = keys_and_values(key_value_input, cache);              // [B, h, S, d_k]
  AttentionResult attention = scaled_dot_product_attention(q, k, v, mask);
  const Tensor weights = dropout(context, attention.weights, dropout_);
  const Tensor heads_out =
      dropout_ > 0.0f && context.training ? ops::matmul(weights, v) : attention.output;
  const Tensor concat = ops::merge_heads(heads_out);  // [B, T, D]  (b_1 || b_2 || ... per token)
  const Tensor output = o_proj_.forward(concat);      // [B, T, D]  one shared W_O
  record(context, "q", q);
  record(context, "k", k);
  record(context, "v", v);
  record(context, "scores", attention.scores);
  record(context, "weights", attention.weights);
  record(context, "head_outputs", heads_out);
  record(context, "concat", concat);
  record(context, "output", output);
  return output;
}

}  // namespace attnlab
