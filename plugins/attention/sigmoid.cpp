// sigmoid: each weight is an independent sigmoid of its score, with no
// normalisation over keys (Ramapuram et al. 2024, "Theory, analysis and best
// practices for sigmoid self-attention"):
//   weights = sigmoid(q k^T / sqrt(d_k) + bias + b), masked keys get exactly 0.
// b is a learned scalar (initial value `bias`); with `length_relative` the fixed
// term -log(S) is added as well, so that a row's weights start summing to about
// one (S keys of sigmoid(-log S) = 1 / (1 + S) each).
#include <attnlab/plugin.hpp>
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <cmath>
#include <limits>

namespace attnlab {
namespace {

class SigmoidAttention final : public AttentionVariant {
 public:
  SigmoidAttention(double bias, bool learned, bool length_relative)
      : length_relative_(length_relative) {
    offset_ = Tensor::full({}, static_cast<float>(bias));
    if (learned) offset_ = add_parameter("bias", offset_);
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias) const override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(q.size(-1)));
    AttentionResult result;
    result.scores = ops::scale(ops::matmul(q, k, false, true), scale);  // [B, h, T, S]
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    Tensor logits = ops::add(result.scores, offset_);
    if (length_relative_)
      logits = ops::add_scalar(logits, -std::log(static_cast<float>(k.size(-2))));
    if (!mask.empty())
      logits = ops::add(logits, ops::mask_to_bias(mask, logits.shape()));  // -inf -> 0
    result.weights = ops::sigmoid(logits);                                 // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);                        // [B, h, T, d_v]
    return result;
  }

 private:
  Tensor offset_;  // [] scalar b
  bool length_relative_ = false;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "sigmoid",
      .description =
          "elementwise sigmoid of the scaled scores plus a bias, no normalisation over keys",
      .parameters = {{"bias", ParameterType::number, "0", "initial value of the learned bias b"},
                     {"length_relative", ParameterType::boolean, "true",
                      "also add -log(number of keys)"},
                     {"learn_bias", ParameterType::boolean, "true", "train b with the model"}},
      .capabilities = {.causal_mask = true, .padding_mask = true, .returns_weights = true, .score_bias = true, .head_gating = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext&) {
            return std::make_unique<SigmoidAttention>(p.number("bias"), p.boolean("learn_bias"),
                                                      p.boolean("length_relative"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
