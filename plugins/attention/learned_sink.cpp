// learned_sink: softmax with one more logit per row, learned per head: a sink
// the query may give its attention to instead of any key (the attention sink
// of Xiao et al. 2023, "Efficient Streaming Language Models with Attention
// Sinks", as a learned logit rather than a sink token; softmax_one is the
// special case of a fixed logit 0):
//   weights_ij = exp(s_ij) / (exp(sink_h) + sum_j exp(s_ij)),  s = q k^T / sqrt(d_k) + bias
// Records "abstention" [example, head, query]: the weight each query gives the sink.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class LearnedSinkAttention final : public AttentionVariant {
 public:
  LearnedSinkAttention(int64_t heads, float initial) {
    sink_ = add_parameter("sink", Tensor::full({1, heads, 1, 1}, initial));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext& context) const override {
    AttentionResult result;
    result.scores =
        ops::matmul(q, k, false, true, 1.0f / std::sqrt(static_cast<float>(q.size(-1))));
    if (score_bias.defined()) result.scores = ops::add(result.scores, score_bias);
    Tensor logits = result.scores;
    if (!mask.empty()) logits = ops::add(logits, ops::mask_to_bias(mask, logits.shape()));
    Shape sink_shape = logits.shape();
    sink_shape.back() = 1;
    const int64_t keys = logits.size(-1);
    const Tensor sinks = ops::add(Tensor::zeros(sink_shape), sink_);  // [B, h, T, 1]
    const Tensor all_weights = ops::masked_softmax(ops::concat(std::vector{logits, sinks}, -1));
    result.weights = ops::slice(all_weights, -1, 0, keys);  // [B, h, T, S]
    result.output = ops::matmul(result.weights, v);
    if (context.observer) {
      const Shape rows(sink_shape.begin(), sink_shape.end() - 1);  // [B, h, T]
      record(context, "abstention", ops::reshape(ops::slice(all_weights, -1, keys, 1), rows),
             {dims::example, dims::head, dims::query}, Replaceable::no);
    }
    return result;
  }

 private:
  Tensor sink_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "learned_sink",
      .description = "softmax with an extra learned logit per head, a sink a query may attend "
                     "to instead of any key (Xiao et al. 2023)",
      .parameters = {{"initial", ParameterType::number, "0",
                      "the sink logit's initial value (0: softmax_one at the start)",
                      in_range(-20, 20)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            return std::make_unique<LearnedSinkAttention>(c.heads,
                                                          static_cast<float>(p.number("initial")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
