// The three Transformer shapes of the seed note: encoder-only (reads both
// ways), decoder-only (masked self-attention, generates one token at a time)
// and encoder-decoder (the decoder adds cross-attention over the encoder).
#pragma once

#include <functional>
#include <span>

#include "attnlab/model/stacks.hpp"

namespace attnlab {

/// What every model records its output under (the root module's name for it):
/// the logits, [example, position, output] (an encoder's per-sequence readout
/// has no position axis).
inline constexpr const char* kLogitsName = "logits";

/// Encoder-only classifier. Parameters: encoder.*, classifier.*.
class EncoderClassifier : public Module {
 public:
  EncoderClassifier(const TransformerConfig& config, ClassifierHead head, Rng& rng);
  Tensor forward(const TokenBatch& source, const ForwardContext& context = {}) const;

 private:
  ClassifierHead head_;
  Encoder encoder_;
  Linear classifier_;
};

/// Tokens produced by decoding and the logits each step chose from.
struct Generation {
  TokenBatch tokens;  // prompt (or start token) followed by the generated tokens
  Tensor logits;      // [B, steps, V]: the distribution each new token was chosen from
};

/// Chooses each generated token from its row of logits [V]; an empty chooser
/// takes the argmax (greedy decoding).
using TokenChooser = std::function<int32_t(std::span<const float> logits)>;

/// Decoder-only language model. Parameters: decoder.*, lm_head.*.
class DecoderLM : public Module {
 public:
  explicit DecoderLM(const TransformerConfig& config, Rng& rng);
  /// tokens [B, T] -> next-token logits [B, T, V].
  Tensor forward(const TokenBatch& tokens, const ForwardContext& context = {}) const;
  /// Greedy continuation of full-length prompts by `steps` tokens. With the
  /// key/value cache each step runs only the new token (O(t) attention);
  /// without it every step recomputes the whole prefix (the reference). The
  /// cache needs the causal mask (ConfigError with decoder_mask none).
  /// `context` supplies the stream of randomized positions (if any).
  Generation generate(const TokenBatch& prompt, int64_t steps, bool use_cache = true,
                      const ForwardContext& context = {}, const TokenChooser& choose = {}) const;

 private:
  Decoder decoder_;
  Linear lm_head_;
  bool causal_;
};

/// Encoder-decoder (seq2seq). Parameters: encoder.*, decoder.*, lm_head.*.
class EncoderDecoder : public Module {
 public:
  EncoderDecoder(const TransformerConfig& config, Rng& rng);
  /// source [B, S], target input [B, T] (shifted right) -> logits [B, T, V_target].
  Tensor forward(const TokenBatch& source, const TokenBatch& target,
                 const ForwardContext& context = {}) const;
  /// Greedy decoding (or `choose`'s) of `steps` tokens after start_token, for every source row.
  Generation generate(const TokenBatch& source, int32_t start_token, int64_t steps,
                      bool use_cache = true, const ForwardContext& context = {},
                      const TokenChooser& choose = {}) const;

 private:
  // The encoder's output as cross-attention reads it, with its key mask.
  std::pair<Tensor, AttentionMask> memory_of(const TokenBatch& source,
                                             const ForwardContext& context) const;

  Encoder encoder_;
  Decoder decoder_;
  Linear lm_head_;
  bool causal_;
  MemoryAccess memory_;
};

}  // namespace attnlab
