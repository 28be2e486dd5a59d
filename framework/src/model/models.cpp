#include "attnlab/model/models.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {
namespace {

// Weights [B, 1, S] that average the valid positions of each row.
Tensor mean_pool_weights(const TokenBatch& batch) {
  Tensor weights = Tensor::zeros({batch.batch, 1, batch.length});
  for (int64_t b = 0; b < batch.batch; ++b) {
    const int64_t valid = batch.lengths.empty() ? batch.length : batch.lengths[b];
    std::fill_n(weights.data() + b * batch.length, valid, 1.0f / static_cast<float>(valid));
  }
  return weights;
}

TokenBatch append_column(const TokenBatch& sequence, std::span<const int32_t> column) {
  TokenBatch longer{sequence.batch, sequence.length + 1, {}, {}};
  longer.ids.reserve(static_cast<std::size_t>(longer.batch * longer.length));
  for (int64_t b = 0; b < sequence.batch; ++b) {
    const auto row = sequence.ids.begin() + b * sequence.length;
    longer.ids.insert(longer.ids.end(), row, row + sequence.length);
    longer.ids.push_back(column[b]);
  }
  return longer;
}

// How many tokens generating `steps` after `start` feeds: the last one is
// chosen, never fed.
int64_t fed_length(int64_t start, int64_t steps) {
  return start + std::max<int64_t>(steps - 1, 0);
}

// Decoding shared by both generating models (greedy unless `choose` is given). logits_of(tokens,
// cache, positions) returns [B, T, V] for the tokens at those positions; with a cache only new
// tokens are passed. `positions` holds those of every token fed (the prompt and all generated
// tokens but the last), drawn once so every step places its tokens alike.
template <class LogitsOf>
Generation decode(TokenBatch sequence, int64_t steps, bool use_cache,
                  const std::vector<int64_t>& positions, const TokenChooser& choose,
                  const LogitsOf& logits_of) {
  if (!sequence.lengths.empty() && std::any_of(sequence.lengths.begin(), sequence.lengths.end(),
                                               [&](int32_t l) { return l != sequence.length; }))
    throw ShapeError("generate: prompts must all have the full length (no padding)");
  NoGradGuard no_grad;
  Decoder::Cache cache;
  TokenBatch pending = sequence;
  std::vector<Tensor> chosen_from;
  for (int64_t step = 0; step < steps; ++step) {
    const Positions all = positions;
    const Tensor logits =
        use_cache ? logits_of(pending, &cache, all.subspan(cache.length, pending.length))
                  : logits_of(sequence, nullptr, all.first(sequence.length));
    const int64_t scored = logits.size(1), vocab = logits.size(2);
    const Tensor last = ops::slice(logits, 1, scored - 1, 1);  // [B, 1, V]
    std::vector<int32_t> next(static_cast<std::size_t>(sequence.batch));
    for (int64_t b = 0; b < sequence.batch; ++b) {
      const float* row = last.data() + b * vocab;
      next[b] = choose ? choose(std::span<const float>(row, static_cast<std::size_t>(vocab)))
                       : static_cast<int32_t>(std::max_element(row, row + vocab) - row);
    }
    chosen_from.push_back(last);
    sequence = append_column(sequence, next);
    pending = TokenBatch{sequence.batch, 1, next, {}};
  }
  Generation result{sequence, {}};
  if (!chosen_from.empty()) result.logits = ops::concat(chosen_from, 1);  // [B, steps, V]
  return result;
}

}  // namespace

EncoderClassifier::EncoderClassifier(const TransformerConfig& config, ClassifierHead head, Rng& rng)
    : head_(head), encoder_(config, rng), classifier_(config.d_model, config.num_classes, rng) {
  add_module("encoder", encoder_);
  add_module("classifier", classifier_);
}

Tensor EncoderClassifier::forward(const TokenBatch& source, const ForwardContext& context) const {
  const Tensor states = encoder_.forward(source, context);  // [B, S, D]
  if (head_ == ClassifierHead::token)
    return record(context, kLogitsName, classifier_.forward(states),
                  {dims::example, dims::position, dims::output});        // [B, S, C]
  const Tensor pooled = ops::matmul(mean_pool_weights(source), states);  // [B, 1, D]
  return record(context, kLogitsName, classifier_.forward(ops::reshape(pooled, {source.batch, -1})),
                {dims::example, dims::output});  // [B, C]
}

DecoderLM::DecoderLM(const TransformerConfig& config, Rng& rng)
    : decoder_(config, config.vocab_size, false, rng),
      lm_head_(config.d_model, config.vocab_size, rng),
      causal_(config.decoder_mask == DecoderMask::causal) {
  add_module("decoder", decoder_);
  add_module("lm_head", lm_head_);
}

Tensor DecoderLM::forward(const TokenBatch& tokens, const ForwardContext& context) const {
  return record(context, kLogitsName, lm_head_.forward(decoder_.forward(tokens, {}, {}, context)),
                {dims::example, dims::position, dims::output});  // [B, T, V]
}

Generation DecoderLM::generate(const TokenBatch& prompt, int64_t steps, bool use_cache,
                               const ForwardContext& context, const TokenChooser& choose) const {
  if (prompt.length < 1) throw ShapeError("generate: the prompt needs at least one token");
  if (use_cache && !causal_)  // cached keys would never see the tokens after them
    throw ConfigError("generate: a key/value cache needs the causal mask (decoder_mask: none)");
  return decode(prompt, steps, use_cache,
                decoder_.positions_for(fed_length(prompt.length, steps), context), choose,
                [&](const TokenBatch& tokens, Decoder::Cache* cache, Positions positions) {
                  return lm_head_.forward(decoder_.forward(tokens, {}, {}, {}, cache, positions));
                });
}

EncoderDecoder::EncoderDecoder(const TransformerConfig& config, Rng& rng)
    : encoder_(config, rng),
      decoder_(config, config.target_vocab(), true, rng),
      lm_head_(config.d_model, config.target_vocab(), rng),
      causal_(config.decoder_mask == DecoderMask::causal),
      memory_(config.memory) {
  add_module("encoder", encoder_);
  add_module("decoder", decoder_);
  add_module("lm_head", lm_head_);
}

Tensor EncoderDecoder::forward(const TokenBatch& source, const TokenBatch& target,
                               const ForwardContext& context) const {
  if (source.batch != target.batch)
    throw ShapeError(fmt::format("encoder-decoder: {} source rows but {} target rows", source.batch,
                                 target.batch));
  const auto [memory, memory_mask] = memory_of(source, context);  // [B, S or 1, D]
  return record(context, kLogitsName,
                lm_head_.forward(decoder_.forward(target, memory, memory_mask, context)),
                {dims::example, dims::position, dims::output});  // [B, T, V]
}

std::pair<Tensor, AttentionMask> EncoderDecoder::memory_of(const TokenBatch& source,
                                                           const ForwardContext& context) const {
  const Tensor states = encoder_.forward(source, context);  // [B, S, D]
  if (memory_ == MemoryAccess::full) return {states, padding_mask(source)};
  return {ops::matmul(mean_pool_weights(source), states), AttentionMask{}};  // [B, 1, D]
}

Generation EncoderDecoder::generate(const TokenBatch& source, int32_t start_token, int64_t steps,
                                    bool use_cache, const ForwardContext& context,
                                    const TokenChooser& choose) const {
  if (use_cache && !causal_)  // cached keys would never see the tokens after them
    throw ConfigError("generate: a key/value cache needs the causal mask (decoder_mask: none)");
  NoGradGuard no_grad;
  // Named, not a structured binding: clang 14 cannot capture bindings in a lambda.
  const std::pair<Tensor, AttentionMask> memory = memory_of(source, context);  // computed once
  const TokenBatch start{source.batch, 1, std::vector<int32_t>(source.batch, start_token), {}};
  return decode(start, steps, use_cache, decoder_.positions_for(fed_length(1, steps), context),
                choose, [&](const TokenBatch& tokens, Decoder::Cache* cache, Positions positions) {
                  return lm_head_.forward(
                      decoder_.forward(tokens, memory.first, memory.second, {}, cache, positions));
                });
}

}  // namespace attnlab
