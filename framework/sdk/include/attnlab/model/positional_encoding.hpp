// The positional-encoding plugin interface. A positional encoding can act in
// three places, and declares which:
//   - added to the token embeddings (sinusoidal, learned absolute),
//   - applied to q and k inside every self-attention layer (rotary),
//   - added to the attention scores as a bias [h, T, S] (ALiBi, T5 relative bias).
// One instance serves a whole stack (its learned parameters are shared by the
// layers, as in T5). Positions are absolute and given explicitly: usually
// 0, 1, 2, ... (with a key/value cache, new tokens continue after the cached
// ones), but with positional.randomized: L (Ruoss et al. 2023) an increasing
// random subset of [0, L), so an encoding must be defined at
// any increasing positions, each token's term depending on its own position
// only (the kit's "positions" check).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "attnlab/model/config.hpp"
#include "attnlab/nn/layers.hpp"
#include "attnlab/nn/module.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

/// Absolute positions of a pass's tokens, increasing, shared by every item of
/// the batch.
using Positions = std::span<const int64_t>;

/// offset, offset + 1, ..., offset + length - 1.
std::vector<int64_t> consecutive_positions(int64_t offset, int64_t length);

class PositionalEncoding : public Module {
 public:
  static constexpr const char* kKind = "positional encoding";
  static constexpr const char* kPlural = "positional encodings";
  static constexpr const char* kKey = "positional";

  /// Where the encoding acts, and what it promises (nothing unless declared).
  struct Capabilities {
    bool embeddings = false;
    bool rotates_qk = false;
    bool score_bias = false;
    bool extrapolates = false;

    static constexpr std::array<CapabilityField<Capabilities>, 4> fields() {
      return {{{"embeddings", &Capabilities::embeddings, "acts through embedding_term()"},
               {"rotates_qk", &Capabilities::rotates_qk, "acts through rotate()"},
               {"score_bias", &Capabilities::score_bias, "acts through score_bias()"},
               {"extrapolates", &Capabilities::extrapolates,
                "defined past the longest training length (max_length)"}}};
    }
  };

  struct BuildContext {
    int64_t d_model;
    int64_t heads;
    int64_t head_width;
    int64_t max_length;  // positions reach max_length - 1 (learned tables are this long): the
                         // longest sequence, or positional.randomized when larger
    Rng& rng;
  };

  /// Added to the embeddings of tokens at `positions` (T of them): [T, D], or
  /// an undefined Tensor if this encoding does not act there.
  virtual Tensor embedding_term(Positions positions) const;
  /// q [B, h, T, d_k] at query_positions and k [B, h, S, d_k] at key_positions;
  /// returns them rotated (or unchanged).
  virtual std::pair<Tensor, Tensor> rotate(const Tensor& q, Positions query_positions,
                                           const Tensor& k, Positions key_positions) const;
  /// Bias [h, T, S] for T queries at query_positions and S keys at
  /// key_positions, or undefined. `causal` tells whether the attention is
  /// masked (a key after its query is then never seen).
  virtual Tensor score_bias(Positions query_positions, Positions key_positions, bool causal) const;
};

/// The sin/cos features of Vaswani et al. 2017 at `positions`: [T, d_model] with
/// PE[t, 2i] = sin(p_t / base^(2i/d)), PE[t, 2i+1] = cos(...). d_model must be even.
Tensor sinusoidal_table(Positions positions, int64_t d_model, double base = 10000.0);

/// x [B, h, T, d] at `positions` (T of them) with each feature pair
/// (2i, 2i + 1) turned by the angle position * frequencies[i] (pairs past the
/// end of `frequencies` are left as they are) and, when `growth` is given,
/// scaled by exp(position * growth[i]): the rotation of rope, p_rope and xpos.
Tensor rotate_feature_pairs(const Tensor& x, Positions positions,
                            std::span<const double> frequencies,
                            std::span<const double> growth = {});

/// RoPE's frequencies base^(-2i / d_k), i = 0 .. d_k / 2 - 1, highest first.
std::vector<double> rotary_frequencies(int64_t head_width, double base);

/// An encoding that rotates q and k by rotate_feature_pairs, with its own
/// growth for each (none when empty): rope, p_rope (fewer frequencies) and
/// xpos (growth) are this with different numbers.
class RotaryPositions final : public PositionalEncoding {
 public:
  explicit RotaryPositions(std::vector<double> frequencies, std::vector<double> query_growth = {},
                           std::vector<double> key_growth = {});
  std::pair<Tensor, Tensor> rotate(const Tensor& q, Positions query_positions, const Tensor& k,
                                   Positions key_positions) const override;

 private:
  std::vector<double> frequencies_, query_growth_, key_growth_;
};

/// The registry of positional encodings (built-ins: plugins/positional/).
inline Registry<PositionalEncoding>& positional_registry() {
  return registry_of<PositionalEncoding>();
}

/// Token embedding plus the positional term (if the encoding acts there), with
/// dropout: [B, T] ids at `positions` -> [B, T, D]. Records "token_embedding"
/// [B, T, D] and "positional" [T, D].
class EmbeddingStack : public Module {
 public:
  EmbeddingStack(const TransformerConfig& config, int64_t vocab_size, Rng& rng);
  Tensor forward(std::span<const int32_t> ids, const Shape& ids_shape, Positions positions,
                 const PositionalEncoding& encoding, const ForwardContext& context) const;

 private:
  Embedding tokens_;
  float dropout_;
};

}  // namespace attnlab
