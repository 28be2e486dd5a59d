// differential: differential attention (Ye, Dong, Xia, Sun, Zhu, Huang, Wei
// 2024, "Differential Transformer"). Each head's q and k are split in halves;
// two softmax maps are taken and one is subtracted from the other, cancelling
// the attention both give to irrelevant context:
//   A_1 = softmax(q_1 k_1^T / sqrt(d_k / 2) + bias),  A_2 likewise with q_2, k_2
//   lambda = exp(lq_1 . lk_1) - exp(lq_2 . lk_2) + lambda_init
//   output = (1 - lambda_init) RMSNorm((A_1 - lambda A_2) v)
// lq_*, lk_* are learned vectors of d_k / 2 shared by the layer's heads (drawn
// from N(0, 0.1^2) as in the paper); RMSNorm is the paper's per-head
// normalisation, with a learned gain. The paper sets lambda_init by layer depth
// (0.8 - 0.6 exp(-0.3 (l - 1))); a variant does not know its layer, so it is a
// parameter. v keeps its width d_k here (the paper's heads read 2 d_k values).
// The normalisation breaks output == weights v: it returns no weights.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <random>

namespace attnlab {
namespace {

class DifferentialAttention final : public AttentionVariant {
 public:
  DifferentialAttention(int64_t head_width, float lambda_init, Rng& rng)
      : lambda_init_(lambda_init) {
    const int64_t half = head_width / 2;
    std::normal_distribution<float> normal(0.0f, 0.1f);
    for (const char* name : {"lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2"}) {
      Tensor vector = Tensor::zeros({half});
      for (float& value : vector.values()) value = normal(rng);
      lambdas_.push_back(add_parameter(name, vector));
    }
    gain_ = add_parameter("norm_gain", Tensor::full({head_width}, 1.0f));
  }

  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& score_bias,
                         const ForwardContext&) const override {
    const int64_t width = q.size(-1), half = width / 2;
    const float scale = 1.0f / std::sqrt(static_cast<float>(half));
    auto map = [&](int64_t part) {
      Tensor scores = ops::matmul(ops::slice(q, -1, part * half, half),
                                  ops::slice(k, -1, part * half, half), false, true, scale);
      if (score_bias.defined()) scores = ops::add(scores, score_bias);
      return ops::masked_softmax(scores, mask);
    };
    const Tensor lambda =
        ops::add_scalar(ops::sub(ops::exp(ops::sum(ops::mul(lambdas_[0], lambdas_[1]))),
                                 ops::exp(ops::sum(ops::mul(lambdas_[2], lambdas_[3])))),
                        lambda_init_);
    const Tensor difference = ops::sub(map(0), ops::mul(map(1), lambda));  // [B, h, T, S]
    const Tensor heads = ops::matmul(difference, v);                       // [B, h, T, d_v]
    // RMSNorm(x) = x / sqrt(mean(x^2) + eps) = sqrt(d) x / sqrt(sum(x^2) + d eps).
    const auto d = static_cast<float>(width);
    const Tensor normalised =
        ops::scale(ops::l2_normalize(heads, d * kNormEps), std::sqrt(d) * (1.0f - lambda_init_));
    AttentionResult result;
    result.output = ops::mul(normalised, gain_);
    return result;
  }

 private:
  static constexpr float kNormEps = 1e-5f;
  std::vector<Tensor> lambdas_;
  Tensor gain_;
  float lambda_init_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_attention({
      .name = "differential",
      .description = "the difference of two softmax maps over halves of q and k, normalised per "
                     "head (Ye et al. 2024)",
      .parameters = {{"lambda_init", ParameterType::number, "0.8",
                      "lambda's constant part (the paper: 0.8 - 0.6 exp(-0.3 (layer - 1)))",
                      in_range(0, 0.99)}},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = false,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory =
          [](const Parameters& p, const AttentionVariant::BuildContext& c) {
            if (c.head_width % 2 != 0)
              throw ConfigError(fmt::format(
                  "attention variant 'differential' splits q and k in halves: d_k = {} must be "
                  "even",
                  c.head_width));
            return std::make_unique<DifferentialAttention>(
                c.head_width, static_cast<float>(p.number("lambda_init")), c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
