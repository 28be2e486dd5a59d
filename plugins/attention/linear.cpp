// linear: kernelised attention (Katharopoulos et al. 2020) with the feature map
// phi(x) = elu(x) + 1. Weight of key j for query i:
//   a_ij = phi(q_i) . phi(k_j) / sum_j' phi(q_i) . phi(k_j')  over the visible keys j'
// so the output is sum_j a_ij v_j; the causal form sums over j <= i only.
// It is computed here in the quadratic form, which makes the weights available
// for recording; the paper's linear-time form (phi(Q) (phi(K)^T V), with prefix
// sums when causal) gives the same numbers in O(T) and is an optimisation left
// for long sequences.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

class LinearAttention final : public AttentionVariant {
 public:
  explicit LinearAttention(float eps) : eps_(eps) {}

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    (void)score_bias;  // declared unsupported: MultiHeadAttention refuses a positional score bias
    const Tensor phi_q = ops::add_scalar(ops::elu(q), 1.0f),
                 phi_k = ops::add_scalar(ops::elu(k), 1.0f);
    Tensor similarity = ops::matmul(phi_q, phi_k, false, true);  // [B, h, T, S], all > 0
    if (!mask.empty())
      similarity = ops::mul(similarity, ops::exp(ops::mask_to_bias(mask, similarity.shape())));
    Shape row_shape = similarity.shape();
    row_shape.back() = 1;
    const Tensor totals =
        ops::add_scalar(ops::reshape(ops::sum_last(similarity), row_shape), eps_);  // [B, h, T, 1]
    AttentionResult result;
    result.scores = similarity;
    result.weights = ops::div(similarity, totals);   // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);  // [B, h, T, d_v]
    return result;
  }

 private:
  float eps_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "linear",
      .description = "kernelised attention with phi(x) = elu(x) + 1, normalised per query "
                     "(Katharopoulos et al. 2020)",
      .parameters = {{"eps", ParameterType::number, "1e-6", "added to each query's normaliser",
                      at_least(0)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = false,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext&) {
            return std::make_unique<LinearAttention>(static_cast<float>(p.number("eps")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
