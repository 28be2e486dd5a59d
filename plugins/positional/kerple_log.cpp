// kerple_log: KERPLE's logarithmic kernel (Chi, Fan, Ramadge, Rudnicky 2022,
// "KERPLE: Kernelized Relative Positional Embedding for Length
// Extrapolation"): a learned, conditionally positive definite kernel of the
// distance, added to the scores of every head:
//   bias_h(i, j) = -r1_h log(1 + r2_h |i - j|),  r1_h, r2_h > 0
// As in the paper's code, r1 starts uniform in [0, 2), r2 in [0, 1), and both
// are clamped to at least 0.01 where used. Defined at every distance: it
// extrapolates.
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <limits>
#include <random>

namespace attnlab {
namespace {

constexpr float kLeast = 0.01f;

class KerpleLogBias final : public PositionalEncoding {
 public:
  KerpleLogBias(int64_t heads, Rng& rng) {
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    Tensor scale = Tensor::zeros({heads, 1, 1}), rate = Tensor::zeros({heads, 1, 1});
    for (float& value : scale.values()) value = 2.0f * unit(rng);
    for (float& value : rate.values()) value = unit(rng);
    scale_ = add_parameter("r1", scale);
    rate_ = add_parameter("r2", rate);
  }

  Tensor score_bias(Positions query_positions, Positions key_positions, bool) const override {
    const auto queries = static_cast<int64_t>(query_positions.size());
    const auto keys = static_cast<int64_t>(key_positions.size());
    Tensor distance = Tensor::zeros({1, queries, keys});
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        distance.data()[i * keys + j] =
            static_cast<float>(std::abs(query_positions[static_cast<std::size_t>(i)] -
                                        key_positions[static_cast<std::size_t>(j)]));
    const float none = std::numeric_limits<float>::infinity();
    const Tensor r1 = ops::clamp(scale_, kLeast, none), r2 = ops::clamp(rate_, kLeast, none);
    return ops::neg(ops::mul(r1, ops::log1p(ops::mul(r2, distance))));  // [h, T, S]
  }

 private:
  Tensor scale_, rate_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "kerple_log",
      .description = "learned logarithmic distance kernel -r1 log(1 + r2 |i - j|) per head "
                     "(Chi et al. 2022)",
      .parameters = {},
      .capabilities =
          {.embeddings = false, .rotates_qk = false, .score_bias = true, .extrapolates = true},
      .factory =
          [](const Parameters&, const PositionalEncoding::BuildContext& c) {
            return std::make_unique<KerpleLogBias>(c.heads, c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
