// p_rope: partial rotary embedding, p-RoPE (Barbero, Vitvitskyi, Perivolaropoulos,
// Pascanu, Velickovic 2024, "Round and Round We Go! What makes Rotary
// Positional Encodings useful?"). RoPE's lowest frequencies rotate so slowly
// that they act as semantic channels which positions still corrupt over long
// ranges; p-RoPE keeps the fraction p of the frequencies that are highest and
// leaves the other feature pairs unrotated:
//   pair i of q and k turned by position * base^(-2i / d_k) for i < round(p d_k / 2), else not
// p = 1 is rope; a p that rotates no pair is refused (that is `none`).
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

// RoPE's frequencies, the highest round(fraction x d_k / 2) of them only.
std::vector<double> highest_frequencies(int64_t head_width, double base, double fraction) {
  std::vector<double> frequencies = rotary_frequencies(head_width, base);  // highest first
  frequencies.resize(
      static_cast<std::size_t>(std::lround(fraction * static_cast<double>(frequencies.size()))));
  return frequencies;
}

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "p_rope",
      .description = "rotary embedding of the highest fraction p of the frequencies only, the "
                     "rest unrotated (Barbero et al. 2024)",
      .parameters = {{"fraction", ParameterType::number, "0.75",
                      "p: the share of frequency pairs rotated, highest first", in_range(0, 1)},
                     {"base", ParameterType::number, "10000", "wavelength base, as rope's",
                      at_least(2)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = true, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            if (c.head_width % 2 != 0)
              throw ConfigError(fmt::format(
                  "positional encoding 'p_rope' rotates feature pairs: d_k = {} must be even",
                  c.head_width));
            const auto rotated =
                std::lround(p.number("fraction") * static_cast<double>(c.head_width / 2));
            if (rotated == 0)
              throw ConfigError(fmt::format(
                  "positional encoding 'p_rope': fraction = {} of d_k / 2 = {} feature pairs "
                  "rotates none; use positional encoding 'none' for no positions",
                  p.number("fraction"), c.head_width / 2));
            return std::make_unique<RotaryPositions>(
                highest_frequencies(c.head_width, p.number("base"), p.number("fraction")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
