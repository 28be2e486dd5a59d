// selective: selective attention (Leviathan, Kalman, Matias 2024, "Selective
// Attention Improves Transformer"). A token may decide that an earlier token is
// no longer needed, and that key is then softly masked for every later query.
// Head 0's logits say how much query k selects key j away:
//   S_kj = ReLU(l_kj),  l = q k^T / sqrt(d_k) + bias of head 0 (masked entries 0)
// with S = 0 for key 0 (the first token is never masked) and for the query's own
// key; every head's logits are then reduced by what the earlier queries chose:
//   F_ij = sum_{k < i} S_kj,   weights = softmax(q k^T / sqrt(d_k) + bias - F)
// The paper's form, with no parameters. Query i sits at key S - T + i (the
// queries are the last T keys). Because F reads earlier queries, which a
// key/value cache does not keep, the variant does not promise cached
// generation: generation recomputes the sequence each step. F is shared by the
// heads, so no head can be gated alone. Queries select keys of their own
// sequence (a query's own key is exempt), so the variant does not serve an
// encoder-decoder's cross-attention.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

// [B, 1, T, S]: 1 where query i may select key j away: j visible to i (mask),
// neither the first key nor the query's own.
Tensor selectable(const AttentionMask& mask, int64_t batch, int64_t queries, int64_t keys) {
  Tensor allowed = Tensor::zeros({batch, 1, queries, keys});
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t valid =
        mask.key_lengths.empty()
            ? keys
            : std::min<int64_t>(keys, mask.key_lengths[static_cast<std::size_t>(b)]);
    for (int64_t i = 0; i < queries; ++i) {
      const int64_t own = keys - queries + i;
      for (int64_t j = 1; j < valid; ++j)
        if (j != own && (!mask.causal || j <= own))
          allowed.data()[(b * queries + i) * keys + j] = 1.0f;
    }
  }
  return allowed;
}

// [T, T] with 1 where row k < column i: S^T times it sums over earlier queries.
Tensor earlier_queries(int64_t queries) {
  Tensor earlier = Tensor::zeros({queries, queries});
  for (int64_t k = 0; k < queries; ++k)
    for (int64_t i = k + 1; i < queries; ++i) earlier.data()[k * queries + i] = 1.0f;
  return earlier;
}

class SelectiveAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    const int64_t batch = q.size(0), queries = q.size(2), keys = k.size(2);
    Tensor logits =
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (bias.defined()) logits = ops::add(logits, bias);   // [B, h, T, S]
    const Tensor head_zero = ops::slice(logits, 1, 0, 1);  // [B, 1, T, S]
    const Tensor selection = ops::relu(ops::where(selectable(mask, batch, queries, keys), head_zero,
                                                  Tensor::zeros(head_zero.shape())));
    // F^T [B, 1, S, T] = S^T [B, 1, S, T] x earlier [T, T], then F [B, 1, T, S].
    const Tensor masked_away =
        ops::transpose(ops::matmul(selection, earlier_queries(queries), true, false), -1, -2);
    AttentionResult result;
    result.scores = ops::sub(logits, masked_away);  // [B, h, T, S]
    result.weights = ops::masked_softmax(result.scores, mask);
    result.output = ops::matmul(result.weights, v);
    return result;
  }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "selective",
      .description = "softmax attention whose earlier queries softly mask keys away for later "
                     "ones, from head 0's logits (Leviathan et al. 2024)",
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = false,
                       .cached_generation = false,
                       .cross_attention = false},
      .factory =
          [](const Parameters&, const AttentionVariant::BuildContext&) {
            return std::make_unique<SelectiveAttention>();
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
