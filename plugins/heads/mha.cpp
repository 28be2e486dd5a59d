// mha: multi-head attention, one key/value head per query head (Vaswani et al. 2017).
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

void register_components(PluginRegistrar& registrar) {
  registrar.add_head_layout({
      .name = "mha",
      .description = "multi-head: h query heads, each with its own key/value head",
      .parameters = head_width_parameters(),
      .capabilities = {},
      .factory = [](const Parameters& p,
                    const HeadLayout::BuildContext& c) -> std::unique_ptr<HeadLayout> {
        return std::make_unique<StaticHeadLayout>(
            HeadDimensions{c.heads, c.heads, resolve_head_width(p, c, "mha")});
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
