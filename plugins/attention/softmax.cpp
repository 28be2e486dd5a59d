// softmax: scaled dot-product attention (Vaswani et al. 2017), the default.
//   weights = softmax(q k^T / sqrt(d_k) + bias), output = weights v
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

class SoftmaxAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    return scaled_dot_product_attention(q, k, v, mask, score_bias);
  }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "softmax",
      .description =
          "scaled dot-product attention: softmax(q k^T / sqrt(d_k)) v (Vaswani et al. 2017)",
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
            return std::make_unique<SoftmaxAttention>();
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
