// xpos: the extrapolatable position embedding (Sun, Dong, Patra, Ma, Huang,
// Benhaim, Chaudhary, Song, Wei 2022, "A Length-Extrapolatable Transformer").
// Rotary embedding whose pairs also decay with distance: q at position n and k
// at position m are rotated as by rope and scaled by
//   q: zeta_i^(n / scale_base),  k: zeta_i^(-m / scale_base),
//   zeta_i = (2i / d_k + gamma) / (1 + gamma)
// so q_n . k_m carries zeta^((n - m) / scale_base): attention to far keys is
// damped, most for the high frequencies (which resolve position least well
// far away). Positions are not re-centred per call (the paper's code shifts
// them by half the length), so every call agrees with a cache.
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class ExtrapolatablePositions final : public PositionalEncoding {
 public:
  ExtrapolatablePositions(int64_t head_width, double base, double gamma, double scale_base)
      : frequencies_(rotary_frequencies(head_width, base)) {
    for (int64_t i = 0; i < head_width / 2; ++i) {
      const double zeta =
          (2.0 * static_cast<double>(i) / static_cast<double>(head_width) + gamma) / (1.0 + gamma);
      query_growth_.push_back(std::log(zeta) / scale_base);
      key_growth_.push_back(-std::log(zeta) / scale_base);
    }
  }

  std::pair<Tensor, Tensor> rotate(const Tensor& q, int64_t query_offset, const Tensor& k,
                                   int64_t key_offset) const override {
    return {rotate_feature_pairs(q, query_offset, frequencies_, query_growth_),
            rotate_feature_pairs(k, key_offset, frequencies_, key_growth_)};
  }

 private:
  std::vector<double> frequencies_, query_growth_, key_growth_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "xpos",
      .description = "rotary embedding with a per-frequency decay over distance (Sun et al. 2022)",
      .parameters = {{"base", ParameterType::number, "10000", "wavelength base, as rope's",
                      at_least(2)},
                     {"gamma", ParameterType::number, "0.4",
                      "zeta_i = (2i / d_k + gamma) / (1 + gamma)", in_range(1e-3, 100)},
                     {"scale_base", ParameterType::number, "512",
                      "positions per power of zeta (below 64, zeta^(-m / scale_base) overflows "
                      "float32 within a few hundred positions)",
                      in_range(64, 1e9)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = true, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            if (c.head_width % 2 != 0)
              throw ConfigError(fmt::format(
                  "positional encoding 'xpos' rotates feature pairs: d_k = {} must be even",
                  c.head_width));
            return std::make_unique<ExtrapolatablePositions>(
                c.head_width, p.number("base"), p.number("gamma"), p.number("scale_base"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
