#include "attnlab/attention/multi_head_attention.hpp"

#include <fmt/format.h>

#include <cmath>
#include <tuple>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

// [B, g, S, d] -> [B, h, S, d]: kv head j serves query heads j * (h / g) .. (j + 1) * (h / g) - 1.
Tensor share_kv_heads(const Tensor& x, int64_t query_heads) {
  const int64_t kv_heads = x.size(1);
  if (kv_heads == query_heads) return x;
  std::vector<Tensor> copies;
  for (int64_t j = 0; j < kv_heads; ++j)
    for (int64_t r = 0; r < query_heads / kv_heads; ++r) copies.push_back(ops::slice(x, 1, j, 1));
  return ops::concat(copies, 1);
}

HeadDimensions split_dimensions(int64_t d_model, int64_t heads) {
  return {heads, heads, split_head_width(d_model, heads)};
}

}  // namespace

AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask, const Tensor& score_bias) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(q.size(-1)));
  AttentionResult result;
  result.scores = ops::matmul(q, k, false, true, scale);                          // [B, h, T, S]
  if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);  // bias [h, T, S]
  result.weights = ops::masked_softmax(result.scores, mask);                      // [B, h, T, S]
  result.output = ops::matmul(result.weights, v);                                 // [B, h, T, d_v]
  return result;
}

MultiHeadAttention::MultiHeadAttention(int64_t d_model, int64_t heads, float dropout, Rng& rng,
                                       const ComponentChoice& attention)
    : MultiHeadAttention(d_model, split_dimensions(d_model, heads), dropout, rng, attention) {}

MultiHeadAttention::MultiHeadAttention(int64_t d_model, const HeadDimensions& dimensions,
                                       float dropout, Rng& rng, const ComponentChoice& attention)
    : heads_(dimensions.query_heads),
      kv_heads_(dimensions.kv_heads),
      head_width_(dimensions.head_width),
      dropout_(dropout),
      q_proj_(d_model, heads_ * head_width_, rng),
      k_proj_(dimensions.kv_latent > 0 ? dimensions.kv_latent : d_model, kv_heads_ * head_width_,
              rng),
      v_proj_(dimensions.kv_latent > 0 ? dimensions.kv_latent : d_model, kv_heads_ * head_width_,
              rng),
      o_proj_(heads_ * head_width_, d_model, rng) {
  if (heads_ < 1 || kv_heads_ < 1 || head_width_ < 1 || heads_ % kv_heads_ != 0 ||
      dimensions.kv_latent < 0)
    throw ConfigError(
        fmt::format("attention heads: {} query heads, {} key/value heads, width {} and key/value "
                    "latent {} do not fit (heads and width >= 1, key/value heads dividing query "
                    "heads, latent >= 0)",
                    heads_, kv_heads_, head_width_, dimensions.kv_latent));
  add_module("q_proj", q_proj_);
  add_module("k_proj", k_proj_);
  add_module("v_proj", v_proj_);
  add_module("o_proj", o_proj_);
  if (dimensions.kv_latent > 0) {  // drawn last: the other layouts' parameters stay as they were
    kv_down_ = std::make_unique<Linear>(d_model, dimensions.kv_latent, rng);
    add_module("kv_down", *kv_down_);
  }
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

void MultiHeadAttention::set_head_gates(Tensor gates) {
  if (!gates.defined()) {
    head_gates_ = Tensor();
    return;
  }
  if (gates.shape() != Shape{heads_})
    throw ConfigError(fmt::format("head gates must have shape [{}] (one per query head), got {}",
                                  heads_, shape_string(gates.shape())));
  if (!capabilities_.head_gating)
    throw ConfigError(
        fmt::format("attention variant '{}' mixes its heads, so it cannot gate them one by one",
                    variant_name_));
  head_gates_ = std::move(gates);
}

void MultiHeadAttention::set_head_offsets(Tensor offsets) {
  if (!offsets.defined()) {
    head_offsets_ = Tensor();
    return;
  }
  if (offsets.shape() != Shape{heads_, head_width_})
    throw ConfigError(fmt::format("head offsets must have shape [{}, {}] (heads, d_k), got {}",
                                  heads_, head_width_, shape_string(offsets.shape())));
  if (!capabilities_.head_gating)
    throw ConfigError(fmt::format(
        "attention variant '{}' mixes its heads, so it cannot replace one head's output",
        variant_name_));
  head_offsets_ = std::move(offsets);
}

Tensor MultiHeadAttention::forward(const Tensor& query_input, const Tensor& key_value_input,
                                   const AttentionMask& mask, const ForwardContext& context,
                                   KeyValueCache* cache, const TokenPositions* positions) const {
  if (cache && !capabilities_.cached_generation)
    throw ConfigError(fmt::format(
        "attention variant '{}' reads earlier queries, which a key/value cache does not keep{}; "
        "generate without the cache (each step recomputes the sequence)",
        variant_name_, path().empty() ? "" : fmt::format(" (at {})", path())));
  Tensor q = ops::split_heads(q_proj_.forward(query_input), heads_);  // [B, h, T, d_k]
  Tensor k, v;                                                        // [B, h, S, d_k]
  if (cache && cache->fixed && cache->keys.defined()) {
    k = cache->keys;
    v = cache->values;
  } else {
    // Keys and values come from the input, or from its shared latent (MLA).
    const Tensor source = kv_down_ ? kv_down_->forward(key_value_input) : key_value_input;
    k = ops::split_heads(k_proj_.forward(source), kv_heads_);  // [B, g, S, d_k]
    v = ops::split_heads(v_proj_.forward(source), kv_heads_);
    // Keys are cached already rotated, at the positions they had.
    if (positions) {
      if (static_cast<int64_t>(positions->positions.size()) != q.size(2) || k.size(2) != q.size(2))
        throw ShapeError(fmt::format(
            "attention: positions act in self-attention only, one per new token; got {} "
            "positions for {} queries and {} keys",
            positions->positions.size(), q.size(2), k.size(2)));
      std::tie(q, k) = positions->encoding.rotate(q, positions->positions, k, positions->positions);
    }
    if (cache && !cache->fixed && cache->keys.defined()) {
      k = ops::concat(std::vector{cache->keys, k}, 2);  // [B, h, t + S, d_k]
      v = ops::concat(std::vector{cache->values, v}, 2);
    }
    if (cache) {
      cache->keys = k;
      cache->values = v;
      if (positions)
        cache->key_positions.insert(cache->key_positions.end(), positions->positions.begin(),
                                    positions->positions.end());
    }
  }
  // Each tensor is recorded where it is made, and the pass goes on with what
  // record() returns: an observer may replace it (activation patching).
  q = record(context, "q", q, {dims::example, dims::head, dims::query, dims::feature},
             Replaceable::yes);
  k = record(context, "k", k, {dims::example, dims::kv_head, dims::key, dims::feature},
             Replaceable::yes);
  v = record(context, "v", v, {dims::example, dims::kv_head, dims::key, dims::feature},
             Replaceable::yes);
  const Tensor bias =
      positions ? positions->encoding.score_bias(
                      positions->positions,
                      cache ? Positions(cache->key_positions) : positions->positions, mask.causal)
                : Tensor();
  require_capabilities(mask, bias.defined());
  const Tensor shared_v = share_kv_heads(v, heads_);  // [B, h, S, d_k]
  AttentionResult attention =
      variant_->attend(q, share_kv_heads(k, heads_), shared_v, mask, bias, context);
  // Observed only: the forward pass goes on from the weights, not the raw scores.
  record(context, kScoresName, attention.scores,
         {dims::example, dims::head, dims::query, dims::key}, Replaceable::no);
  const Tensor weights =
      record(context, kWeightsName, attention.weights,
             {dims::example, dims::head, dims::query, dims::key}, Replaceable::yes);
  // Attention dropout acts on the weights, so it needs output = weights v (the contract
  // of variants that return weights); other variants get none. Replaced weights are
  // applied the same way.
  const bool drop_weights = dropout_ > 0.0f && context.training && capabilities_.returns_weights;
  const bool replaced_weights = weights.defined() && weights.node() != attention.weights.node();
  if (replaced_weights && !capabilities_.returns_weights)
    throw ConfigError(fmt::format(
        "attention variant '{}' does not compute its output as weights x values, so its "
        "weights cannot be replaced",
        variant_name_));
  Tensor heads_out =
      drop_weights || replaced_weights
          ? ops::matmul(drop_weights ? dropout(context, weights, dropout_) : weights, shared_v)
          : attention.output;
  if (head_gates_.defined())  // [B, h, T, d_k] * [h, 1, 1]; reshaped per call: each backward frees
                              // its graph
    heads_out = ops::mul(heads_out, ops::reshape(head_gates_, {heads_, 1, 1}));
  if (head_offsets_.defined())  // [B, h, T, d_k] + [h, 1, d_k]
    heads_out = ops::add(heads_out, ops::reshape(head_offsets_, {heads_, 1, head_width_}));
  heads_out = record(context, "head_outputs", heads_out,
                     {dims::example, dims::head, dims::query, dims::feature}, Replaceable::yes);
  const Tensor concat =
      record(context, "concat", ops::merge_heads(heads_out),
             {dims::example, dims::position, dims::feature}, Replaceable::yes);  // [B, T, h d_k]
  // (b_1 || b_2 || ... per token), then one shared W_O: [B, T, D]
  return record(context, "output", o_proj_.forward(concat),
                {dims::example, dims::position, dims::feature}, Replaceable::yes);
}

}  // namespace attnlab
