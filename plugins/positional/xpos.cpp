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

// log(zeta_i) / scale_base per feature pair, times `sign`: q grows by +, k by -.
std::vector<double> decay_growth(int64_t head_width, double gamma, double scale_base, double sign) {
  std::vector<double> growth;
  for (int64_t i = 0; i < head_width / 2; ++i) {
    const double zeta =
        (2.0 * static_cast<double>(i) / static_cast<double>(head_width) + gamma) / (1.0 + gamma);
    growth.push_back(sign * std::log(zeta) / scale_base);
  }
  return growth;
}

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
            const double gamma = p.number("gamma"), scale_base = p.number("scale_base");
            return std::make_unique<RotaryPositions>(
                rotary_frequencies(c.head_width, p.number("base")),
                decay_growth(c.head_width, gamma, scale_base, 1.0),
                decay_growth(c.head_width, gamma, scale_base, -1.0));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
