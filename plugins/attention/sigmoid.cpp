// sigmoid: each weight is an independent sigmoid of its score, with no
// normalisation over keys (Ramapuram et al. 2024, "Theory, analysis and best
// practices for sigmoid self-attention"):
//   weights = sigmoid(q k^T / sqrt(d_k) + bias + b), masked keys get exactly 0.
// b is a learned scalar (initial value `bias`); with `length_relative` the fixed
// term -log(n) is added as well, n the number of keys the query sees, so that a
// row's weights start summing to about one (n keys of sigmoid(-log n) =
// 1 / (1 + n) each). n counts visible keys, not all S: under the causal mask a
// query's output must not depend on how many tokens follow it (with -log S it
// did, and cached generation disagreed with recomputing the prefix).
#include <algorithm>
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
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
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const float scale = 1.0f / std::sqrt(static_cast<float>(q.size(-1)));
    AttentionResult result;
    result.scores = ops::matmul(q, k, false, true, scale);  // [B, h, T, S]
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    Tensor logits = ops::add(result.scores, offset_);
    if (length_relative_)
      logits = ops::add(logits, minus_log_visible_keys(q.size(-2), k.size(-2), mask));
    if (!mask.empty())
      logits = ops::add(logits, ops::mask_to_bias(mask, logits.shape()));  // -inf -> 0
    result.weights = ops::sigmoid(logits);                                 // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);                        // [B, h, T, d_v]
    return result;
  }

 private:
  // -log(keys query i sees) as [B or 1, 1, T, 1] (T queries after S - T earlier keys).
  static Tensor minus_log_visible_keys(int64_t queries, int64_t keys, const AttentionMask& mask) {
    const int64_t items = std::max<int64_t>(1, static_cast<int64_t>(mask.key_lengths.size()));
    Tensor bias = Tensor::zeros({items, 1, queries, 1});
    for (int64_t b = 0; b < items; ++b)
      for (int64_t i = 0; i < queries; ++i) {
        int64_t visible = mask.causal ? keys - queries + i + 1 : keys;
        if (!mask.key_lengths.empty())
          visible = std::min<int64_t>(visible, mask.key_lengths[static_cast<std::size_t>(b)]);
        bias.data()[b * queries + i] = -std::log(static_cast<float>(std::max<int64_t>(1, visible)));
      }
    return bias;
  }

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
                      "also add -log(number of keys the query sees)"},
                     {"learn_bias", ParameterType::boolean, "true", "train b with the model"}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
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
