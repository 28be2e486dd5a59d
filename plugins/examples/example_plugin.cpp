// An example attnlab plugin with two components:
//   attention  "relu_squared":      weights_ij = g(s_ij) / sum_j g(s_ij),
//                                   g(s) = relu(s)^2 + 0.01 sigmoid(s),
//                                   s = q k^T / sqrt(d_k) (+ positional bias)
//                                   (a softmax-free normalisation, cf. squared-ReLU in So et al.
//                                   2021). The small sigmoid floor keeps a row whose scores are
//                                   all near or below 0 smooth instead of 0/0-steep (which
//                                   `attnlab check-plugin`'s gradient check caught), and still
//                                   gives a key with a -inf bias exactly 0
//   positional "scaled_sinusoidal": sinusoidal positions times one learned scale
//                                   (Hua et al. 2022), initialised to `scale`
// Everything is written with attnlab's public ops, so gradients come for free.
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace {

using namespace attnlab;

class ReluSquaredAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext& context) const override {
    AttentionResult result;
    result.scores =
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    const Tensor positive = ops::relu(result.scores);
    Tensor strength =
        ops::add(ops::mul(positive, positive), ops::scale(ops::sigmoid(result.scores), 0.01f));
    if (!mask.empty())
      strength = ops::mul(strength, ops::exp(ops::mask_to_bias(mask, strength.shape())));
    Shape rows = strength.shape();
    rows.back() = 1;
    const Tensor totals =
        ops::add_scalar(ops::reshape(ops::sum_last(strength), rows), 1e-6f);  // [B, h, T, 1]
    result.weights = ops::div(strength, totals);
    result.output = ops::matmul(result.weights, v);
    // Its own tensor, recordable as e.g. decoder.layers.0.self_attn.variant.totals
    if (context.observer)
      record(context, "totals", ops::reshape(totals, Shape(rows.begin(), rows.end() - 1)),
             {dims::example, dims::head, dims::query}, Replaceable::no);
    return result;
  }
};

class ScaledSinusoidal final : public PositionalEncoding {
 public:
  ScaledSinusoidal(int64_t d_model, float scale) : d_model_(d_model) {
    scale_ = add_parameter("scale", Tensor::full({}, scale));
  }

  Tensor embedding_term(Positions positions) const override {
    return ops::mul(sinusoidal_table(positions, d_model_), scale_);  // [T, D]
  }

 private:
  int64_t d_model_;
  Tensor scale_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "relu_squared",
      .description = "squared-ReLU scores normalised per query (example plugin)",
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext&) {
            return std::make_unique<ReluSquaredAttention>();
          },
  });
  registrar.add_positional({
      .name = "scaled_sinusoidal",
      .description = "sinusoidal positions times a learned scale (example plugin)",
      .parameters = {{"scale", ParameterType::number, "1", "initial value of the learned scale"}},
      .capabilities =
          {.embeddings = true, .rotates_qk = false, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            return std::make_unique<ScaledSinusoidal>(c.d_model,
                                                      static_cast<float>(p.number("scale")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)
