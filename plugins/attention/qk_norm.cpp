// qk_norm: query-key normalisation by LayerNorm (Dehghani et al. 2023, "Scaling
// Vision Transformers to 22 Billion Parameters", after Henry et al. 2020,
// "Query-Key Normalization for Transformers"): q and k are layer-normalised over
// each head's d_k features, with a learned gain and bias shared by the heads,
// before scaled dot-product softmax attention:
//   weights = softmax(LN_q(q) LN_k(k)^T / sqrt(d_k) + bias)
// It keeps logits bounded as weights grow (the instability ViT-22B removed).
// Henry et al.'s own form (unit-norm q and k times a learned scale) is `cosine`.
// d_k < 3 is refused: normalised, one feature is a constant and two a sign.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class QueryKeyNormAttention final : public AttentionVariant {
 public:
  QueryKeyNormAttention(int64_t head_width, float eps) : eps_(eps) {
    query_gain_ = add_parameter("query_gain", Tensor::full({head_width}, 1.0f));
    query_bias_ = add_parameter("query_bias", Tensor::zeros({head_width}));
    key_gain_ = add_parameter("key_gain", Tensor::full({head_width}, 1.0f));
    key_bias_ = add_parameter("key_bias", Tensor::zeros({head_width}));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const Tensor normal_q = ops::layer_norm(q, query_gain_, query_bias_, eps_);
    const Tensor normal_k = ops::layer_norm(k, key_gain_, key_bias_, eps_);
    AttentionResult result;
    result.scores = ops::matmul(normal_q, normal_k, false, true,
                                1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    result.weights = ops::masked_softmax(result.scores, mask);
    result.output = ops::matmul(result.weights, v);
    return result;
  }

 private:
  Tensor query_gain_, query_bias_, key_gain_, key_bias_;
  float eps_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "qk_norm",
      .description = "softmax attention on layer-normalised q and k (Dehghani et al. 2023; "
                     "Henry et al. 2020)",
      .parameters = {{"eps", ParameterType::number, "1e-6",
                      "LayerNorm's epsilon over each head's d_k features", in_range(1e-12, 1)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            if (c.head_width < 3)
              throw ConfigError(fmt::format(
                  "attention variant 'qk_norm' layer-normalises each head's d_k = {} features: "
                  "normalised, one feature is a constant and two are a sign; it needs d_k >= 3",
                  c.head_width));
            return std::make_unique<QueryKeyNormAttention>(c.head_width,
                                                           static_cast<float>(p.number("eps")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
