#include "attnlab/attention/head_layout.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"

namespace attnlab {

std::vector<ParameterSpec> head_width_parameters() {
  return {{"width", ParameterType::text, "split",
           "split: d_k = d_model / heads (more heads, thinner heads); fixed: d_k = head_dim",
           one_of({"split", "fixed"})},
          {"head_dim", ParameterType::integer, "0", "d_k when width is fixed", at_least(0)}};
}

int64_t split_head_width(int64_t d_model, int64_t heads) {
  if (heads < 1) throw ConfigError(fmt::format("heads must be >= 1, got {}", heads));
  if (d_model % heads != 0)
    throw ConfigError(fmt::format(
        "heads = {} does not divide d_model = {}: each head gets d_k = d_model / heads features, "
        "so heads must be a divisor of d_model (e.g. 12288 = 96 x 128 in GPT-3), or use width: "
        "fixed",
        heads, d_model));
  return d_model / heads;
}

int64_t resolve_head_width(const Parameters& parameters, const HeadLayout::BuildContext& context,
                           const char* layout) {
  const std::string& width = parameters.text("width");
  if (context.heads < 1)
    throw ConfigError(
        fmt::format("head layout '{}': heads must be >= 1, got {}", layout, context.heads));
  if (width == "split") return split_head_width(context.d_model, context.heads);
  const int64_t head_dim = parameters.integer("head_dim");  // width: fixed (its choices)
  if (head_dim < 1)
    throw ConfigError(fmt::format("head layout '{}': width 'fixed' needs head_dim >= 1, got {}",
                                  layout, head_dim));
  return head_dim;
}

}  // namespace attnlab
