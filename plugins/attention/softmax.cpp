// softmax: scaled dot-product attention (Vaswani et al. 2017), the default.
//   weights = softmax(q k^T / sqrt(d_k) + bias), output = weights v
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>

namespace attnlab {
namespace {

class SoftmaxAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias) const override {
    return scaled_dot_product_attention(q, k, v, mask, score_bias);
  }
};

const bool registered = [] {
  attention_registry().add({
      .name = "softmax",
      .description =
          "scaled dot-product attention: softmax(q k^T / sqrt(d_k)) v (Vaswani et al. 2017)",
      .parameters = {},
      .capabilities = {},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext&) {
            return std::make_unique<SoftmaxAttention>();
          },
  });
  return true;
}();

}  // namespace
}  // namespace attnlab
