// softmax_one: softmax with one more, fixed logit of 0 in every row (the
// "softmax + 1" of Miller 2023, and the learned-free form of the attention sink
// of Xiao et al. 2023, StreamingLLM):
//   weights_ij = exp(s_ij) / (1 + sum_j exp(s_ij)),  s = q k^T / sqrt(d_k) + bias
// A query may attend to nothing: its weights sum to less than one, and a row
// whose keys are all masked gives output 0 rather than an average. Records
// "abstention" [example, head, query]: the weight each query gives to nothing.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class SoftmaxOneAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext& context) const override {
    AttentionResult result;
    result.scores = ops::matmul(q, k, false, true,
                                1.0f / std::sqrt(static_cast<float>(q.size(-1))));  // [B, h, T, S]
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    Tensor logits = result.scores;
    if (!mask.empty()) logits = ops::add(logits, ops::mask_to_bias(mask, logits.shape()));
    Shape sink_shape = logits.shape();
    sink_shape.back() = 1;
    const int64_t keys = logits.size(-1);
    const Tensor with_sink = ops::concat(std::vector{logits, Tensor::zeros(sink_shape)}, -1);
    const Tensor all_weights = ops::masked_softmax(with_sink);  // [B, h, T, S + 1]
    result.weights = ops::slice(all_weights, -1, 0, keys);      // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);             // [B, h, T, d_v]
    if (context.observer) {                                     // computed only when someone looks
      const Shape rows(sink_shape.begin(), sink_shape.end() - 1);  // [B, h, T]
      record(context, "abstention", ops::reshape(ops::slice(all_weights, -1, keys, 1), rows),
             {dims::example, dims::head, dims::query}, Replaceable::no);
    }
    return result;
  }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "softmax_one",
      .description = "softmax with an extra zero logit per row, so a query may attend to nothing "
                     "(Miller 2023; the attention sink of Xiao et al. 2023)",
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
            return std::make_unique<SoftmaxOneAttention>();
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
