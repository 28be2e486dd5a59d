// mqa: multi-query attention, one key/value head shared by all query heads
// (Shazeer 2019): the key/value cache shrinks h-fold.
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

void register_components(PluginRegistrar& registrar) {
  registrar.add_head_layout({
      .name = "mqa",
      .description = "multi-query: h query heads share one key/value head",
      .parameters = head_width_parameters(),
      .capabilities = {},
      .factory = [](const Parameters& p,
                    const HeadLayout::BuildContext& c) -> std::unique_ptr<HeadLayout> {
        return std::make_unique<StaticHeadLayout>(
            HeadDimensions{c.heads, 1, resolve_head_width(p, c, "mqa")});
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
