#include "attnlab/model/layers.hpp"

#include "attnlab/model/stacks.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {
namespace {

// One residual sublayer: pre-LN x + f(LN(x)), post-LN LN(x + f(x)).
template <class Sublayer>
Tensor residual(NormPlacement placement, const LayerNorm& norm, const Tensor& x,
                const Sublayer& f) {
  if (placement == NormPlacement::pre) return ops::add(x, f(norm.forward(x)));
  return norm.forward(ops::add(x, f(x)));
}

}  // namespace

HeadDimensions head_dimensions(const TransformerConfig& config) {
  return head_layout_registry()
      .create(config.head_layout.name, config.head_layout.parameters,
              {.d_model = config.d_model, .heads = config.heads})
      ->dimensions();
}

EncoderLayer::EncoderLayer(const TransformerConfig& config, Rng& rng)
    : norm_(config.norm),
      dropout_(config.dropout),
      self_attn_(config.d_model, head_dimensions(config), config.dropout, rng, config.attention),
      self_attn_norm_(config.d_model, config.layer_norm_eps),
      ffn_norm_(config.d_model, config.layer_norm_eps) {
  add_module("self_attn", self_attn_);
  if (config.ffn_dim > 0) {
    ffn_.emplace(config.d_model, config.ffn_dim, config.activation, config.dropout, rng);
    add_module("ffn", *ffn_);
  }
  add_module("self_attn_norm", self_attn_norm_);
  if (ffn_) add_module("ffn_norm", ffn_norm_);
}

Tensor EncoderLayer::forward(const Tensor& x, const AttentionMask& mask,
                             const TokenPositions& positions, const ForwardContext& context) const {
  const Tensor h = residual(norm_, self_attn_norm_, x, [&](const Tensor& in) {
    return dropout(context, self_attn_.forward(in, in, mask, context, nullptr, &positions),
                   dropout_);
  });  // [B, T, D]
  const Tensor out = ffn_
                         ? residual(norm_, ffn_norm_, h,
                                    [&](const Tensor& in) {
                                      return dropout(context, ffn_->forward(in, context), dropout_);
                                    })
                         : h;  // [B, T, D]; an attention-only block has no FFN
  return record(context, kLayerOutputName, out, {dims::example, dims::position, dims::feature},
                Replaceable::yes);
}

DecoderLayer::DecoderLayer(const TransformerConfig& config, bool cross_attention, Rng& rng)
    : norm_(config.norm),
      dropout_(config.dropout),
      causal_(config.decoder_mask == DecoderMask::causal),
      self_attn_(config.d_model, head_dimensions(config), config.dropout, rng, config.attention),
      self_attn_norm_(config.d_model, config.layer_norm_eps),
      ffn_norm_(config.d_model, config.layer_norm_eps),
      cross_attn_norm_(config.d_model, config.layer_norm_eps) {
  add_module("self_attn", self_attn_);
  if (cross_attention) {
    cross_attn_.emplace(config.d_model, head_dimensions(config), config.dropout, rng,
                        config.attention);
    add_module("cross_attn", *cross_attn_);
  }
  if (config.ffn_dim > 0) {
    ffn_.emplace(config.d_model, config.ffn_dim, config.activation, config.dropout, rng);
    add_module("ffn", *ffn_);
  }
  add_module("self_attn_norm", self_attn_norm_);
  if (ffn_) add_module("ffn_norm", ffn_norm_);
  if (cross_attention) add_module("cross_attn_norm", cross_attn_norm_);
}

Tensor DecoderLayer::forward(const Tensor& x, const Tensor& memory,
                             const AttentionMask& memory_mask, const TokenPositions& positions,
                             const ForwardContext& context, Cache* cache) const {
  const AttentionMask self_mask{.causal = causal_, .key_lengths = {}};
  Tensor h = residual(norm_, self_attn_norm_, x, [&](const Tensor& in) {
    auto* self_cache = cache ? &cache->self_attention : nullptr;
    return dropout(context, self_attn_.forward(in, in, self_mask, context, self_cache, &positions),
                   dropout_);
  });  // [B, T, D]
  if (cross_attn_) {
    h = residual(norm_, cross_attn_norm_, h, [&](const Tensor& in) {
      auto* cross_cache = cache ? &cache->cross_attention : nullptr;
      return dropout(context, cross_attn_->forward(in, memory, memory_mask, context, cross_cache),
                     dropout_);
    });  // [B, T, D]
  }
  const Tensor out = ffn_
                         ? residual(norm_, ffn_norm_, h,
                                    [&](const Tensor& in) {
                                      return dropout(context, ffn_->forward(in, context), dropout_);
                                    })
                         : h;  // [B, T, D]; an attention-only block has no FFN
  return record(context, kLayerOutputName, out, {dims::example, dims::position, dims::feature},
                Replaceable::yes);
}

}  // namespace attnlab
