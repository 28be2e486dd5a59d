// sparse_topk: explicit sparse attention (Zhao et al. 2019, "Explicit Sparse Transformer:
// Concentrated Attention Through Explicit Selection"): each query keeps only its k largest scores
// among the keys it may see, and the softmax runs over those:
//   s = q k^T / sqrt(d_k) + bias
//   t_i = the k-th largest visible s_ij (every visible key if fewer than k)
//   weights_ij = softmax over j of (s_ij if s_ij >= t_i, else -inf)
// The selection is a constant of the forward pass: gradients reach the kept
// scores only, as in the paper. Ties at t_i are all kept.
#include <algorithm>
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace attnlab {
namespace {

// 0 where a row's score is among its `kept` largest finite values, -inf elsewhere.
Tensor top_k_selection(const Tensor& logits, int64_t kept) {
  const int64_t keys = logits.size(-1);
  Tensor selection = Tensor::zeros(logits.shape());
  std::vector<float> row;
  for (int64_t start = 0; start < logits.numel(); start += keys) {
    const float* scores = logits.data() + start;
    row.assign(scores, scores + keys);
    float threshold = -std::numeric_limits<float>::infinity();
    if (kept < keys) {
      std::nth_element(row.begin(), row.begin() + (kept - 1), row.end(), std::greater<>());
      threshold = row[static_cast<std::size_t>(kept - 1)];
    }
    for (int64_t j = 0; j < keys; ++j)
      if (scores[j] < threshold)
        selection.data()[start + j] = -std::numeric_limits<float>::infinity();
  }
  return selection;
}

class SparseTopKAttention final : public AttentionVariant {
 public:
  explicit SparseTopKAttention(int64_t kept) : kept_(kept) {}

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    AttentionResult result;
    result.scores =
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    // Masked keys are never among the kept: select over the visible scores.
    Tensor visible = result.scores;
    if (!mask.empty()) visible = ops::add(visible, ops::mask_to_bias(mask, visible.shape()));
    const Tensor selection = top_k_selection(visible, kept_);
    result.weights = ops::masked_softmax(ops::add(result.scores, selection), mask);
    result.output = ops::matmul(result.weights, v);
    return result;
  }

 private:
  int64_t kept_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "sparse_topk",
      .description = "softmax over each query's k largest visible scores only (Zhao et al. 2019)",
      .parameters = {{"top_k", ParameterType::integer, "8", "keys kept per query", at_least(1)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext&) {
            return std::make_unique<SparseTopKAttention>(p.integer("top_k"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
