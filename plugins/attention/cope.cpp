// cope: contextual position encoding (Golovneva, Wang, Weston, Sukhbaatar 2024,
// "Contextual Position Encoding: Learning to Count What's Important"). A
// position is not an index but a count of the keys a query's gates let
// through:
//   s_ij = q_i k_j^T / sqrt(d_k) + bias            (masked keys: -inf)
//   g_ij = sigmoid(s_ij),   p_ij = sum_{t >= j} g_it   (the keys from j on, to the query)
//   e(p) = (p - floor p) z_i[ceil p] + (1 - p + floor p) z_i[floor p],   z_i = q_i E
//   weights = softmax(s + e(p))
// E [d_k, n] are learned embeddings of the integer positions 0 .. n-1 (zero at
// first, as in the paper), shared by the heads; p is clamped to n - 1.
// It is an attention variant, not a positional encoding: the positions depend
// on q and k, and attnlab's positional-encoding interface sees neither (it
// would need a hook that receives q, k and the mask and returns a score bias).
#include <algorithm>
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <limits>

namespace attnlab {
namespace {

// [S, S] with 1 where row >= column: g [..., S] times it gives sum_{t >= j} g_t.
Tensor suffix_sum_matrix(int64_t size) {
  Tensor lower = Tensor::zeros({size, size});
  for (int64_t row = 0; row < size; ++row)
    for (int64_t column = 0; column <= row; ++column) lower.data()[row * size + column] = 1.0f;
  return lower;
}

class ContextualPositionAttention final : public AttentionVariant {
 public:
  ContextualPositionAttention(int64_t head_width, int64_t positions) : positions_(positions) {
    embeddings_ = add_parameter("position_embeddings", Tensor::zeros({head_width, positions}));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const int64_t keys = k.size(2);
    Tensor logits =
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (score_bias.defined()) logits = ops::add(logits, score_bias);
    if (!mask.empty()) logits = ops::add(logits, ops::mask_to_bias(mask, logits.shape()));
    const Tensor counted =
        ops::clamp(ops::matmul(ops::sigmoid(logits), suffix_sum_matrix(keys)), 0.0f,
                   static_cast<float>(positions_ - 1));  // p [B, h, T, S]
    // e(p) = sum over integers n of z_n max(0, 1 - |p - n|): the paper's
    // interpolation between floor p and ceil p, one [B, h, T, S] pass per
    // position a count can reach (p <= S), never a [B, h, T, S, n] tensor.
    const Tensor at_integers = ops::matmul(q, embeddings_);  // z = q E [B, h, T, n]
    const int64_t reachable = std::min(positions_, keys + 1);
    Tensor position_logits;
    for (int64_t n = 0; n < reachable; ++n) {
      const Tensor distance = ops::abs(ops::add_scalar(counted, -static_cast<float>(n)));
      const Tensor hat = ops::relu(ops::add_scalar(ops::neg(distance), 1.0f));
      const Tensor term = ops::mul(hat, ops::slice(at_integers, -1, n, 1));  // z_n over the keys
      position_logits = position_logits.defined() ? ops::add(position_logits, term) : term;
    }
    AttentionResult result;
    result.scores = ops::add(logits, position_logits);
    result.weights = ops::masked_softmax(result.scores, mask);
    result.output = ops::matmul(result.weights, v);
    return result;
  }

 private:
  Tensor embeddings_;
  int64_t positions_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "cope",
      .description = "softmax attention with contextual positions: counts of the keys a query's "
                     "sigmoid gates let through (Golovneva et al. 2024)",
      .parameters = {{"positions", ParameterType::integer, "32",
                      "n: the integer positions with an embedding (counts clamp to n - 1)",
                      in_range(2, 4096)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            return std::make_unique<ContextualPositionAttention>(c.head_width,
                                                                 p.integer("positions"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
