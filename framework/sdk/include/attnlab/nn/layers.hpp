// Basic layers: Linear, LayerNorm, Embedding and the position-wise feed-forward block.
#pragma once

#include <cstdint>
#include <span>

#include "attnlab/named_choices.hpp"
#include "attnlab/nn/module.hpp"

namespace attnlab {

/// y = x W^T + b, PyTorch's nn.Linear: weight [out, in], bias [out],
/// both initialised uniform in +-1/sqrt(in) as PyTorch does.
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Rng& rng, bool with_bias = true);
  Tensor forward(const Tensor& x) const;  // [..., in] -> [..., out]
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  Tensor weight_, bias_;
};

/// LayerNorm over the last axis: weight (ones) and bias (zeros) of shape [D].
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t width, float eps = 1e-5f);
  Tensor forward(const Tensor& x) const;  // [..., D] -> [..., D]

 private:
  Tensor weight_, bias_;
  float eps_;
};

/// Token embedding table "weight" [V, D], initialised N(0, 1) as PyTorch's nn.Embedding.
class Embedding : public Module {
 public:
  Embedding(int64_t vocab_size, int64_t width, Rng& rng);
  /// ids row-major with shape ids_shape -> [ids_shape..., D].
  Tensor forward(std::span<const int32_t> ids, const Shape& ids_shape) const;
  int64_t vocab_size() const { return weight_.size(0); }

 private:
  Tensor weight_;
};

enum class Activation { relu, gelu };
/// "relu", "gelu".
const NamedChoices<Activation>& activation_names();

/// Position-wise FFN: linear2(dropout(act(linear1(x)))), D -> hidden -> D.
/// Records "hidden" (after the activation) [B, T, hidden].
class FeedForward : public Module {
 public:
  FeedForward(int64_t width, int64_t hidden, Activation activation, float dropout, Rng& rng);
  Tensor forward(const Tensor& x, const ForwardContext& context) const;

 private:
  Linear linear1_, linear2_;
  Activation activation_;
  float dropout_;
};

}  // namespace attnlab
