// cosine: attention on the cosine similarity of q and k, sharpened by a learned
// temperature (as in Swin Transformer v2 / "query-key normalisation"):
//   weights = softmax(tau * q_hat k_hat^T + bias), q_hat = q / |q|, k_hat = k / |k|
// Scores stay in [-tau, tau] whatever the scale of q and k.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

class CosineAttention final : public AttentionVariant {
 public:
  CosineAttention(float initial_temperature, bool learned) {
    temperature_ = Tensor::full({}, initial_temperature);
    if (learned) temperature_ = add_parameter("temperature", temperature_);
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    AttentionResult result;
    const Tensor cosine =
        ops::matmul(ops::l2_normalize(q), ops::l2_normalize(k), false, true);  // [B, h, T, S]
    result.scores = ops::mul(cosine, temperature_);
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    result.weights = ops::masked_softmax(result.scores, mask);  // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);             // [B, h, T, d_v]
    return result;
  }

 private:
  Tensor temperature_;  // [] scalar
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "cosine",
      .description = "softmax over temperature-scaled cosine similarity of L2-normalised q and k",
      .parameters = {{"temperature", ParameterType::number, "10",
                      "initial temperature tau multiplying the cosine (positive: a negative one "
                      "would attend to the least similar keys)",
                      at_least(1e-3)},
                     {"learn_temperature", ParameterType::boolean, "true",
                      "train tau with the model"}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext&) {
            return std::make_unique<CosineAttention>(static_cast<float>(p.number("temperature")),
                                                     p.boolean("learn_temperature"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
