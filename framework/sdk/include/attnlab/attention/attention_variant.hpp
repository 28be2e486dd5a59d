// The attention-variant plugin interface: how per-head queries, keys and values
// become head outputs. A variant is written with the differentiable ops of
// <attnlab/ops.hpp>, so it needs no hand-written backward.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "attnlab/nn/module.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

/// What one attention computation produced, per head.
struct AttentionResult {
  Tensor output;   // [B, h, T, d_v]  head outputs
  Tensor weights;  // [B, h, T, S]    attention weights (softmax: rows sum to 1 over keys)
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
  static constexpr const char* kPlural = "attention variants";
  static constexpr const char* kKey = "attention";

  /// What a variant promises; an experiment that needs more is refused, and
  /// the conformance checks (attnlab/conformance/conformance.hpp) test every
  /// promise made.
  /// Nothing is promised unless declared.
  struct Capabilities {
    bool causal_mask = false;
    bool padding_mask = false;
    bool returns_weights = false;
    bool score_bias = false;
    bool head_gating = false;
    bool cached_generation = false;
    bool cross_attention = false;

    static constexpr std::array<CapabilityField<Capabilities>, 7> fields() {
      return {{{"causal_mask", &Capabilities::causal_mask,
                "honours AttentionMask::causal: nothing leaks from later keys"},
               {"padding_mask", &Capabilities::padding_mask,
                "honours AttentionMask::key_lengths: padded keys change nothing"},
               {"returns_weights", &Capabilities::returns_weights,
                "returns weights [B, h, T, S] and output == weights v"},
               {"score_bias", &Capabilities::score_bias,
                "adds a positional score bias [h, T, S] (ALiBi, T5) before normalising"},
               {"head_gating", &Capabilities::head_gating,
                "head i's output depends on head i's q, k, v only, so gating it removes exactly "
                "that head"},
               {"cached_generation", &Capabilities::cached_generation,
                "a query's output depends on its own query and the keys and values only (not on "
                "earlier queries), so generating with a key/value cache equals recomputing"},
               {"cross_attention", &Capabilities::cross_attention,
                "defined when the keys come from another sequence (an encoder-decoder's "
                "cross-attention), not only from the queries' own"}}};
    }
  };

  /// What a factory may use to build the variant.
  struct BuildContext {
    int64_t heads;       // query heads
    int64_t head_width;  // d_k
    Rng& rng;            // for learned parameters
  };

  /// q [B, h, T, d_k], k [B, h, S, d_k], v [B, h, S, d_v]; score_bias [h, T, S]
  /// or undefined. Returns head outputs [B, h, T, d_v] and, when it can,
  /// weights and scores [B, h, T, S]. `context` is the pass's: give it to
  /// record(context, name, tensor, dimension names) to report a tensor of the
  /// variant's own as "<layer>.self_attn.variant.<name>" (its observer is null
  /// while training).
  virtual AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                                 const AttentionMask& mask, const Tensor& score_bias,
                                 const ForwardContext& context) const = 0;
};

/// The registry of attention variants (built-ins: plugins/attention/).
inline Registry<AttentionVariant>& attention_registry() {
  return registry_of<AttentionVariant>();
}

}  // namespace attnlab
