// retention: the retention of RetNet in its parallel form (Sun, Dong, Huang,
// Ma, Xia, Xue, Wang, Wei 2023, "Retentive Network: A Successor to Transformer
// for Large Language Models", eqs. 5 and 8). No softmax: scores are decayed by
// the distance between positions and normalised:
//   D_nm = gamma_h^(n - m) for m <= n, else 0,   D~_nm = D_nm / sqrt(sum_m D_nm)
//   R = (q k^T / sqrt(d_k)) * D~,   R~_nm = R_nm / max(|sum_m R_nm|, 1)
//   output = R~ v
// with gamma_h = 1 - 2^(-5 - h) for head h = 0 .. H-1. Masked keys count in no
// sum. Bidirectional attention (not in the paper) decays by gamma^|n - m|.
// RetNet's per-head GroupNorm and swish gate belong to its block, not to
// retention, and are left out. The scores are not logits: no score bias.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class RetentionAttention final : public AttentionVariant {
 public:
  explicit RetentionAttention(int64_t heads) {
    for (int64_t h = 0; h < heads; ++h)
      decays_.push_back(1.0 - std::pow(2.0, -5.0 - static_cast<double>(h)));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor&,
                         const ForwardContext&) const override {
    const int64_t heads = q.size(1), queries = q.size(2), keys = k.size(2);
    // exp(mask bias): 1 where a key is visible, 0 where masked.
    const Tensor visible = ops::exp(ops::mask_to_bias(mask, {q.size(0), heads, queries, keys}));
    Tensor decay = Tensor::zeros({1, heads, queries, keys});
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < queries; ++i)
        for (int64_t j = 0; j < keys; ++j) {
          const int64_t distance = keys - queries + i - j;  // the queries are the last T positions
          decay.data()[(h * queries + i) * keys + j] = static_cast<float>(std::pow(
              decays_[static_cast<std::size_t>(h)], std::abs(static_cast<double>(distance))));
        }
    const Tensor kept = ops::mul(visible, decay);  // [B, h, T, S]
    Shape rows = kept.shape();
    rows.back() = 1;
    const Tensor normalised_decay =
        ops::div(kept, ops::sqrt(ops::reshape(ops::sum_last(kept), rows)));
    AttentionResult result;
    result.scores =
        ops::mul(ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1)))),
                 normalised_decay);
    const Tensor row_sums = ops::reshape(ops::sum_last(result.scores), rows);
    result.weights = ops::div(result.scores, ops::clamp(ops::abs(row_sums), 1.0f,
                                                        std::numeric_limits<float>::infinity()));
    result.output = ops::matmul(result.weights, v);
    return result;
  }

 private:
  std::vector<double> decays_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "retention",
      .description = "RetNet's retention, parallel form: distance-decayed, normalised q k^T, no "
                     "softmax (Sun et al. 2023)",
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = false,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext& c) {
            return std::make_unique<RetentionAttention>(c.heads);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
