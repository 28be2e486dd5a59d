// gqa: grouped-query attention (Ainslie et al. 2023): the query heads fall into
// `groups` groups, each sharing one key/value head. groups = h is mha, 1 is mqa.
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

void register_components(PluginRegistrar& registrar) {
  std::vector<ParameterSpec> parameters = head_width_parameters();
  parameters.push_back({"groups", ParameterType::integer, "2",
                        "key/value heads; must divide the query heads", at_least(1)});
  registrar.add_head_layout({
      .name = "gqa",
      .description = "grouped-query: query heads in `groups` groups, one key/value head per group",
      .parameters = parameters,
      .capabilities = {},
      .factory = [](const Parameters& p,
                    const HeadLayout::BuildContext& c) -> std::unique_ptr<HeadLayout> {
        const int64_t width = resolve_head_width(p, c, "gqa");
        const int64_t groups = p.integer("groups");
        if (c.heads % groups != 0)
          throw ConfigError(
              fmt::format("head layout 'gqa': groups = {} does not divide heads = {} (each group "
                          "shares one key/value head)",
                          groups, c.heads));
        return std::make_unique<StaticHeadLayout>(HeadDimensions{c.heads, groups, width});
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
