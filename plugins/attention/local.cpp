// local: softmax attention restricted to a sliding window of `window` keys
// around each query (Longformer-style local attention; Beltagy et al. 2020).
// Query i sits at absolute position (S - T) + i; it sees keys j with
// window / 2 keys before it and (window - 1) / 2 after it besides itself
// (bidirectional), or the `window` positions ending at itself when causal.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <limits>

namespace attnlab {
namespace {

class LocalAttention final : public AttentionVariant {
 public:
  explicit LocalAttention(int64_t window) : window_(window) {}

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const Tensor window = window_bias(q.size(-2), k.size(-2), mask.causal);  // [T, S]
    const Tensor bias = score_bias.defined() ? ops::add(score_bias, window) : window;
    return scaled_dot_product_attention(q, k, v, mask, bias);
  }

 private:
  Tensor window_bias(int64_t queries, int64_t keys, bool causal) const {
    Tensor bias = Tensor::zeros({queries, keys});
    // Bidirectional: window_ keys around the query, the extra one (even windows) behind it.
    const int64_t behind = window_ / 2, ahead = (window_ - 1) / 2;
    for (int64_t i = 0; i < queries; ++i) {
      const int64_t position = keys - queries + i;
      for (int64_t j = 0; j < keys; ++j) {
        const bool inside = causal ? (j <= position && position - j < window_)
                                   : (position - j <= behind && j - position <= ahead);
        if (!inside) bias.data()[i * keys + j] = -std::numeric_limits<float>::infinity();
      }
    }
    return bias;
  }

  int64_t window_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "local",
      .description = "softmax attention within a sliding window of `window` keys around each query",
      .parameters = {{"window", ParameterType::integer, "8", "keys each query may see",
                      at_least(1)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = true,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext&) {
            return std::make_unique<LocalAttention>(p.integer("window"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
