// talking_heads: talking-heads attention (Shazeer, Lan, Cheng, Ding, Hou 2020,
// "Talking-Heads Attention"). The heads exchange information twice, through
// learned h x h matrices: once on the logits before the softmax, once on the
// weights after it:
//   J = q k^T / sqrt(d_k)                     [B, h, T, S], per head
//   J'_i = sum_j P_logits[i, j] J_j           (mixing across heads)
//   W = softmax(J') (masked)
//   W'_i = sum_j P_weights[i, j] W_j
//   output_i = W'_i v_i
// Both matrices start as the identity, so an untrained layer is softmax
// attention. A head's output depends on every head's q and k: it cannot
// promise head_gating (gating one head's output leaves its logits in the
// others), nor a score bias: mixing the weights carries another head's
// attention onto a key a -inf bias removed from this head.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

Tensor identity(int64_t size) {
  Tensor matrix = Tensor::zeros({size, size});
  for (int64_t i = 0; i < size; ++i) matrix.data()[i * size + i] = 1.0f;
  return matrix;
}

// x [B, h, T, S] mixed across heads: out_i = sum_j mixing[i, j] x_j.
Tensor mix_heads(const Tensor& x, const Tensor& mixing) {
  return ops::transpose(ops::linear(ops::transpose(x, 1, 3), mixing, Tensor()), 1, 3);
}

class TalkingHeadsAttention final : public AttentionVariant {
 public:
  explicit TalkingHeadsAttention(int64_t heads) {
    logits_mixing_ = add_parameter("logits_mixing", identity(heads));
    weights_mixing_ = add_parameter("weights_mixing", identity(heads));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor&,
                         const ForwardContext&) const override {
    AttentionResult result;
    result.scores =
        mix_heads(ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1)))),
                  logits_mixing_);
    result.weights = mix_heads(ops::masked_softmax(result.scores, mask), weights_mixing_);
    result.output = ops::matmul(result.weights, v);  // [B, h, T, d_v]
    return result;
  }

 private:
  Tensor logits_mixing_, weights_mixing_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "talking_heads",
      .description = "softmax attention whose heads mix their logits and their weights through "
                     "learned h x h matrices (Shazeer et al. 2020)",
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = false,
                       .head_gating = false,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext& c) {
            return std::make_unique<TalkingHeadsAttention>(c.heads);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
