#include "attnlab/attention/multi_head_attention.hpp"

#include <fmt/format.h>

#include <cmath>
#include <tuple>

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
                                             const AttentionMask& mask, const Tensor& score_bias) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.size(-1)));
  AttentionResult result;
  result.scores = ops::scale(ops::matmul(q, k, false, true), scale);              // [B, h, T, S]
  if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);  // bias [h, T, S]
  result.weights = ops::masked_softmax(result.scores, mask);                      // [B, h, T, S]
  result.output = ops::matmul(result.weights, v);                                 // [B, h, T, d_v]
  return result;
}

MultiHeadAttention::MultiHeadAttention(int64_t d_model, int64_t heads, float dropout, Rng& rng,
                                       const ComponentChoice& attention)
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
  const auto& entry = attention_registry().find(attention.name);
  variant_name_ = entry.name;
  capabilities_ = entry.capabilities;
  variant_ = attention_registry().create(attention.name, attention.parameters,
                                         {.heads = heads_, .head_width = head_width_, .rng = rng});
  add_module("variant", *variant_);
}

void MultiHeadAttention::require_capabilities(const AttentionMask& mask, bool score_bias) const {
  const char* missing = mask.causal && !capabilities_.causal_mask ? "the causal mask"
                        : !mask.key_lengths.empty() && !capabilities_.padding_mask ? "key padding"
                        : score_bias && !capabilities_.score_bias ? "a positional score bias"
                                                                  : nullptr;
  if (missing)
    throw ConfigError(fmt::format(
        "attention variant '{}' does not honour {}, which {} needs; choose a variant that does "
        "('attnlab plugins' lists their capabilities)",
        variant_name_, missing, path().empty() ? "this attention" : path()));
}

Tensor MultiHeadAttention::forward(const Tensor& query_input, const Tensor& key_value_input,
                                   const AttentionMask& mask, const ForwardContext& context,
                                   KeyValueCache* cache,
                                   const PositionalEncoding* positions) const {
  Tensor q = ops::split_heads(q_proj_.forward(query_input), heads_);  // [B, h, T, d_k]
  Tensor k, v;                                                        // [B, h, S, d_k]
  if (cache && cache->fixed && cache->keys.defined()) {
    k = cache->keys;
    v = cache->values;
  } else {
    k = ops::split_heads(k_proj_.forward(key_value_input), heads_);
    v = ops::split_heads(v_proj_.forward(key_value_input), heads_);
    // New tokens continue after the cached ones; keys are cached already rotated.
    const int64_t offset =
        cache && !cache->fixed && cache->keys.defined() ? cache->keys.size(2) : 0;
    if (positions) std::tie(q, k) = positions->rotate(q, offset, k, offset);
    if (cache && !cache->fixed && cache->keys.defined()) {
      k = ops::concat(std::vector{cache->keys, k}, 2);  // [B, h, t + S, d_k]
      v = ops::concat(std::vector{cache->values, v}, 2);
    }
    if (cache) {
      cache->keys = k;
      cache->values = v;
    }
  }
  const Tensor bias =
      positions ? positions->score_bias(q.size(2), k.size(2), mask.causal) : Tensor();
  require_capabilities(mask, bias.defined());
  AttentionResult attention = variant_->attend(q, k, v, mask, bias);  // bias [h, T, S]
  // Attention dropout acts on the weights, so it needs output = weights v (the contract
  // of variants that return weights); other variants get none.
  const bool drop_weights = dropout_ > 0.0f && context.training && capabilities_.returns_weights;
  const Tensor heads_out = drop_weights
                               ? ops::matmul(dropout(context, attention.weights, dropout_), v)
                               : attention.output;
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
