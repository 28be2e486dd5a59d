#include "attnlab/nn/layers.hpp"

#include <cmath>

#include "attnlab/nn/init.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {

Linear::Linear(int64_t in_features, int64_t out_features, Rng& rng, bool with_bias) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
  weight_ = add_parameter("weight", init::uniform({out_features, in_features}, bound, rng));
  if (with_bias) bias_ = add_parameter("bias", init::uniform({out_features}, bound, rng));
}

Tensor Linear::forward(const Tensor& x) const {
  return ops::linear(x, weight_, bias_);
}

LayerNorm::LayerNorm(int64_t width, float eps) : eps_(eps) {
  weight_ = add_parameter("weight", Tensor::full({width}, 1.0f));
  bias_ = add_parameter("bias", Tensor::zeros({width}));
}

Tensor LayerNorm::forward(const Tensor& x) const {
  return ops::layer_norm(x, weight_, bias_, eps_);
}

Embedding::Embedding(int64_t vocab_size, int64_t width, Rng& rng) {
  weight_ = add_parameter("weight", init::normal({vocab_size, width}, 1.0f, rng));
}

Tensor Embedding::forward(std::span<const int32_t> ids, const Shape& ids_shape) const {
  return ops::embedding(weight_, ids, ids_shape);
}

FeedForward::FeedForward(int64_t width, int64_t hidden, Activation activation, float dropout,
                         Rng& rng)
    : linear1_(width, hidden, rng),
      linear2_(hidden, width, rng),
      activation_(activation),
      dropout_(dropout) {
  add_module("linear1", linear1_);
  add_module("linear2", linear2_);
}

Tensor FeedForward::forward(const Tensor& x, const ForwardContext& context) const {
  const Tensor pre = linear1_.forward(x);  // [B, T, hidden]
  const Tensor hidden =
      record(context, "hidden", activation_ == Activation::relu ? ops::relu(pre) : ops::gelu(pre),
             {dims::example, dims::position, dims::feature}, Replaceable::yes);
  return linear2_.forward(dropout(context, hidden, dropout_));  // [B, T, D]
}

}  // namespace attnlab
