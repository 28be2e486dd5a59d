#include "attnlab/model/stacks.hpp"

#include <fmt/format.h>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/error.hpp"
#include "attnlab/model/position_draw.hpp"

namespace attnlab {
namespace {

// Components that cannot work together are refused when the model is built,
// before any training: a variant must honour what the stack will ask of it.
void require_compatible(const TransformerConfig& config, bool causal, bool cross_attention) {
  const auto& variant = attention_registry().find(config.attention.name);
  const auto& positional = positional_registry().find(config.positional.name);
  std::string missing;
  if (causal && !variant.capabilities.causal_mask) missing = "the causal mask a decoder needs";
  if (cross_attention && !variant.capabilities.cross_attention)
    missing = "keys from another sequence, which an encoder-decoder's cross-attention gives it";
  if (positional.capabilities.score_bias && !variant.capabilities.score_bias)
    missing = fmt::format("the score bias that positional encoding '{}' adds", positional.name);
  if (!missing.empty())
    throw ConfigError(
        fmt::format("attention variant '{}' does not honour {}; choose another variant or encoding "
                    "('attnlab plugins' lists their capabilities)",
                    variant.name, missing));
}

}  // namespace

std::unique_ptr<PositionalEncoding> make_positional_encoding(const TransformerConfig& config,
                                                             Rng& rng) {
  config.validate();  // head_width below needs heads >= 1
  return positional_registry().create(
      config.positional.name, config.positional.parameters,
      {.d_model = config.d_model,
       .heads = config.heads,
       .head_width = head_dimensions(config).head_width,
       .max_length = std::max(config.max_length, config.random_positions),
       .rng = rng});
}

std::string layer_module_name(int64_t index) {
  return fmt::format("layers.{}", index);
}

AttentionMask padding_mask(const TokenBatch& batch) {
  AttentionMask mask;
  mask.key_lengths = batch.lengths;
  return mask;
}

Encoder::Encoder(const TransformerConfig& config, Rng& rng)
    : embed_(config, config.vocab_size, rng),
      positional_(make_positional_encoding(config, rng)),
      random_positions_(config.random_positions) {
  require_compatible(config, false, false);
  add_module("embed", embed_);
  add_module("positional", *positional_);
  for (int64_t i = 0; i < config.encoder_layers; ++i) {
    layers_.push_back(std::make_unique<EncoderLayer>(config, rng));
    add_layer(layer_module_name(i), *layers_.back(), i);
  }
  if (config.norm == NormPlacement::pre) {
    final_norm_.emplace(config.d_model, config.layer_norm_eps);
    add_module("final_norm", *final_norm_);
  }
}

Tensor Encoder::forward(const TokenBatch& source, const ForwardContext& context) const {
  source.validate();
  const AttentionMask mask = padding_mask(source);
  const std::vector<int64_t> positions =
      pass_positions(random_positions_, 0, source.length, context, "encoder");
  const TokenPositions placed{*positional_, positions};
  Tensor x =
      embed_.forward(source.ids, source.shape(), positions, *positional_, context);  // [B, S, D]
  for (const auto& layer : layers_) x = layer->forward(x, mask, placed, context);
  return record(context, kStackOutputName, final_norm_ ? final_norm_->forward(x) : x,
                {dims::example, dims::position, dims::feature}, Replaceable::yes);
}

Decoder::Decoder(const TransformerConfig& config, int64_t vocab_size, bool cross_attention,
                 Rng& rng)
    : embed_(config, vocab_size, rng),
      positional_(make_positional_encoding(config, rng)),
      random_positions_(config.random_positions) {
  require_compatible(config, config.decoder_mask == DecoderMask::causal, cross_attention);
  add_module("embed", embed_);
  add_module("positional", *positional_);
  for (int64_t i = 0; i < config.decoder_layers; ++i) {
    layers_.push_back(std::make_unique<DecoderLayer>(config, cross_attention, rng));
    add_layer(layer_module_name(i), *layers_.back(), i);
  }
  if (config.norm == NormPlacement::pre) {
    final_norm_.emplace(config.d_model, config.layer_norm_eps);
    add_module("final_norm", *final_norm_);
  }
}

Tensor Decoder::forward(const TokenBatch& target, const Tensor& memory,
                        const AttentionMask& memory_mask, const ForwardContext& context,
                        Cache* cache, Positions positions) const {
  target.validate();
  if (cache && cache->layers.empty()) cache->layers.resize(layers_.size());
  if (cache && cache->layers.size() != layers_.size())
    throw ShapeError(fmt::format("decoder: a key/value cache of {} layers cannot serve {} layers",
                                 cache->layers.size(), layers_.size()));
  std::vector<int64_t> drawn;
  if (positions.empty()) {
    if (cache && random_positions_ > 0)
      throw ConfigError(
          "decoder: randomized positions with a key/value cache need the positions of the whole "
          "sequence drawn first (Decoder::positions_for), or cached and recomputed steps would "
          "place the tokens differently");
    drawn = pass_positions(random_positions_, cache ? cache->length : 0, target.length, context,
                           "decoder");
    positions = drawn;
  }
  const TokenPositions placed{*positional_, positions};
  Tensor x =
      embed_.forward(target.ids, target.shape(), positions, *positional_, context);  // [B, T, D]
  for (std::size_t i = 0; i < layers_.size(); ++i)
    x = layers_[i]->forward(x, memory, memory_mask, placed, context,
                            cache ? &cache->layers[i] : nullptr);
  if (cache) cache->length += target.length;
  return record(context, kStackOutputName, final_norm_ ? final_norm_->forward(x) : x,
                {dims::example, dims::position, dims::feature}, Replaceable::yes);
}

std::vector<int64_t> Decoder::positions_for(int64_t length, const ForwardContext& context) const {
  return pass_positions(random_positions_, 0, length, context, "decoder");
}

}  // namespace attnlab
