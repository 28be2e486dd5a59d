// forgetting: the Forgetting Transformer's attention (Lin, Nikishin, He,
// Courville 2025, "Forgetting Transformer: Softmax Attention with a Forget
// Gate"). Each head has a forget gate f_t in (0, 1) per position, and a query
// down-weights a key by the product of the gates between them:
//   s_ij = q_i k_j^T / sqrt(d_k) + D_ij,   D_ij = sum_{l=j+1}^{i} log f_l   (j <= i)
//   weights = softmax(s)
// In the paper f_t = sigmoid(w_h . x_t + b_h) reads the layer input x; a
// variant sees each head's q, k and v only, so here the gate reads the head's
// key, f_t = sigmoid(w_h . k_t + b_h) (k_t is a linear map of x_t: the gate is
// restricted to the key's subspace). With c_t = sum_{l<=t} log f_l, D_ij =
// c_i - c_j. For bidirectional attention (not in the paper) attnlab uses
// D_ij = -|c_i - c_j|, the gates between the two positions either way. The
// gate bias starts at `initial_bias` (sigmoid(3) = 0.95: little forgetting).
// A padded key's gate is 1 (it forgets nothing). No score bias is promised: a
// key acts on every later pair through its gate, so a -inf bias on one pair
// cannot remove the key from a row (and the paper needs no positional bias).
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

// [S, S] with 1 where row <= column: x [..., 1, S] times it sums x over positions <= j.
Tensor prefix_sum_matrix(int64_t size) {
  Tensor upper = Tensor::zeros({size, size});
  for (int64_t row = 0; row < size; ++row)
    for (int64_t column = row; column < size; ++column) upper.data()[row * size + column] = 1.0f;
  return upper;
}

// [B, 1, S]: 1 for the keys within each item's key_lengths, 0 for padding.
Tensor key_is_valid(const AttentionMask& mask, int64_t batch, int64_t keys) {
  Tensor valid = Tensor::zeros({batch, 1, keys});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t j = 0; j < std::min<int64_t>(keys, mask.key_lengths[static_cast<std::size_t>(b)]);
         ++j)
      valid.data()[b * keys + j] = 1.0f;
  return valid;
}

class ForgettingAttention final : public AttentionVariant {
 public:
  ForgettingAttention(int64_t heads, int64_t head_width, float initial_bias, Rng& rng) {
    gate_weight_ = add_parameter(
        "gate_weight", init::uniform({1, heads, 1, head_width},
                                     1.0f / std::sqrt(static_cast<float>(head_width)), rng));
    gate_bias_ = add_parameter("gate_bias", Tensor::full({1, heads, 1}, initial_bias));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor&,
                         const ForwardContext&) const override {
    const int64_t batch = q.size(0), heads = q.size(1), queries = q.size(2), keys = k.size(2);
    const Tensor gate_logits = ops::add(ops::sum_last(ops::mul(k, gate_weight_)), gate_bias_);
    Tensor log_forget = ops::neg(ops::softplus(ops::neg(gate_logits)));  // log sigmoid [B, h, S]
    // A padded key forgets nothing: it changes no other pair.
    if (!mask.key_lengths.empty())
      log_forget = ops::mul(log_forget, key_is_valid(mask, batch, keys));
    const Tensor cumulative = ops::matmul(ops::reshape(log_forget, {batch, heads, 1, keys}),
                                          prefix_sum_matrix(keys));  // [B, h, 1, S]
    // The queries are the last T positions of the keys (a cache holds the
    // first); with more queries than keys the first sit before position 0,
    // where no gate has acted yet (c = 0).
    const int64_t before = std::max<int64_t>(0, queries - keys), seen = queries - before;
    Tensor at_queries = ops::slice(cumulative, -1, keys - seen, seen);
    if (before > 0)
      at_queries =
          ops::concat(std::vector{Tensor::zeros({batch, heads, 1, before}), at_queries}, -1);
    const Tensor decay = ops::neg(ops::abs(ops::sub(
        ops::reshape(at_queries, {batch, heads, queries, 1}), cumulative)));  // [B, h, T, S]
    AttentionResult result;
    result.scores = ops::add(
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1)))), decay);
    result.weights = ops::masked_softmax(result.scores, mask);
    result.output = ops::matmul(result.weights, v);
    return result;
  }

 private:
  Tensor gate_weight_, gate_bias_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "forgetting",
      .description = "softmax attention down-weighting each key by the forget gates between it "
                     "and the query (Lin et al. 2025; gates read the head's keys)",
      .parameters = {{"initial_bias", ParameterType::number, "3",
                      "the forget gates' initial bias (sigmoid(3) = 0.95)", in_range(-20, 20)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = false,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            return std::make_unique<ForgettingAttention>(
                c.heads, c.head_width, static_cast<float>(p.number("initial_bias")), c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
