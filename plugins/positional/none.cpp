// none: no positional information at all. Self-attention is then order-blind:
// an encoder maps "I love NLP" and "NLP love I" to permuted copies of the same
// outputs (the seed note's point; Haviv et al. 2022 for what causal models keep).
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

class NoPositions final : public PositionalEncoding {};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "none",
      .description = "no positional information (order-blind attention)",
      .parameters = {},
      .capabilities =
          {.embeddings = false, .rotates_qk = false, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters&, const PositionalEncoding::BuildContext&) {
            return std::make_unique<NoPositions>();
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
