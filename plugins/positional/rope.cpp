// rope: rotary position embedding (Su et al. 2021). Inside every self-attention
// layer, each pair of features (2i, 2i+1) of q and k is rotated by the angle
// position * theta_i, theta_i = base^(-2i / d_k). Then q_m . k_n depends on the
// positions only through the offset m - n.
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "rope",
      .description = "rotary embedding of q and k in every self-attention layer (Su et al. 2021)",
      .parameters = {{"base", ParameterType::number, "10000",
                      "wavelength base theta_i = base^(-2i/d_k) (base 1 would rotate every "
                      "feature pair alike)",
                      at_least(2)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = true, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            if (c.head_width % 2 != 0)
              throw ConfigError(fmt::format(
                  "positional encoding 'rope' rotates feature pairs: d_k = {} must be even",
                  c.head_width));
            return std::make_unique<RotaryPositions>(
                rotary_frequencies(c.head_width, p.number("base")));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
