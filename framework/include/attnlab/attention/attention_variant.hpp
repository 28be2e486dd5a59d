// The attention-variant plugin interface: how per-head queries, keys and values
// become head outputs. A variant is written with the differentiable ops of
// <attnlab/ops.hpp>, so it needs no hand-written backward.
#pragma once

#include <cstdint>
#include <memory>

#include "attnlab/nn/module.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

/// What one attention computation produced, per head.
struct AttentionResult {
  Tensor output;   // [B, h, T, d_v]  head outputs
  Tensor weights;  // [B, h, T, S]    attention probabilities (rows sum to 1 over keys)
  Tensor scores;   // [B, h, T, S]    the variant's scores before normalising (softmax: q k^T /
                   //                 sqrt(d_k) + bias, unmasked; linear: masked phi(q) phi(k)^T)
};

/// softmax(q k^T / sqrt(d_k) + score_bias) v per head. q [B, h, T, d_k],
/// k [B, h, S, d_k], v [B, h, S, d_v]; score_bias [h, T, S] or undefined;
/// `mask` as in masked_softmax (key lengths per batch item).
AttentionResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionMask& mask,
                                             const Tensor& score_bias = {});

class AttentionVariant : public Module {
 public:
  static constexpr const char* kKind = "attention variant";

  /// What a variant promises; an experiment that needs more is refused.
  struct Capabilities {
    bool causal_mask = true;      // honours AttentionMask::causal (nothing leaks from the future)
    bool padding_mask = true;     // honours AttentionMask::key_lengths
    bool returns_weights = true;  // weights [B, h, T, S] are returned and output == weights v
    bool score_bias =
        true;  // adds a positional score bias [h, T, S] (ALiBi, T5) before normalising
    bool head_gating =
        true;  // head i's output depends on head i only, so a gate on it removes exactly that head
  };

  /// What a factory may use to build the variant.
  struct BuildContext {
    int64_t heads;       // query heads
    int64_t head_width;  // d_k
    Rng& rng;            // for learned parameters
  };

  /// q [B, h, T, d_k], k [B, h, S, d_k], v [B, h, S, d_v]; score_bias [h, T, S]
  /// or undefined. Returns head outputs [B, h, T, d_v] and, when it can,
  /// weights and scores [B, h, T, S].
  virtual AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                                 const AttentionMask& mask, const Tensor& score_bias) const = 0;
};

/// The registry of attention variants (built-ins: plugins/attention/).
Registry<AttentionVariant>& attention_registry();

}  // namespace attnlab
