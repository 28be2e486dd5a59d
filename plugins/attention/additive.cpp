// additive: Bahdanau-style attention (Bahdanau et al. 2015). A small network
// scores each query-key pair:
//   score_ij = w . tanh(W_q q_i + W_k k_j),  weights = softmax(score + bias)
// W_q, W_k [width, d_k] and w [width] are learned and shared by the heads.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/error.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class AdditiveAttention final : public AttentionVariant {
 public:
  AdditiveAttention(int64_t head_width, int64_t width, Rng& rng) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(head_width));
    query_proj_ = add_parameter("query_proj", init::uniform({width, head_width}, bound, rng));
    key_proj_ = add_parameter("key_proj", init::uniform({width, head_width}, bound, rng));
    score_ = add_parameter(
        "score", init::uniform({width, 1}, 1.0f / std::sqrt(static_cast<float>(width)), rng));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), S = k.size(2),
                  A = query_proj_.size(0);
    const Tensor qp =
        ops::reshape(ops::matmul(q, query_proj_, false, true), {B, H, T, 1, A});  // [B, h, T, 1, a]
    const Tensor kp =
        ops::reshape(ops::matmul(k, key_proj_, false, true), {B, H, 1, S, A});  // [B, h, 1, S, a]
    const Tensor hidden = ops::tanh(ops::add(qp, kp));                          // [B, h, T, S, a]
    AttentionResult result;
    result.scores = ops::reshape(ops::matmul(hidden, score_), {B, H, T, S});  // [B, h, T, S]
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    result.weights = ops::masked_softmax(result.scores, mask);
    result.output = ops::matmul(result.weights, v);  // [B, h, T, d_v]
    return result;
  }

 private:
  Tensor query_proj_, key_proj_, score_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "additive",
      .description = "Bahdanau-style scores w . tanh(W_q q + W_k k), softmax-normalised",
      .parameters = {{"width", ParameterType::integer, "0",
                      "hidden width of the scoring network; 0 = d_k", at_least(0)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            const int64_t width = p.integer("width") == 0 ? c.head_width : p.integer("width");
            return std::make_unique<AdditiveAttention>(c.head_width, width, c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
