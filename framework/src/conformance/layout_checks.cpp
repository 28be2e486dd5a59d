// Conformance of a head layout: consistent dimensions at every head count,
// width and parameter setting it accepts, and a model that generates the same
// with and without its key/value cache.
#include <fmt/format.h>

#include "attnlab/attention/head_layout.hpp"
#include "attnlab/error.hpp"
#include "check_support.hpp"
#include "parameter_settings.hpp"

namespace attnlab::conformance {
namespace {

// Every parameter setting at the case's head count and d_model = heads x width.
std::string dimensions(const Registry<HeadLayout>::Entry& entry,
                       const std::vector<ParameterSetting>& settings, int64_t& accepted,
                       const AttentionShape& s) {
  const int64_t d_model = s.heads * s.width;
  for (const ParameterSetting& setting : settings) {
    std::unique_ptr<HeadLayout> layout;
    try {
      layout = built(head_layout_registry().create(entry.name, setting,
                                                   {.d_model = d_model, .heads = s.heads}));
    } catch (const ConfigError&) {
      continue;  // a layout may refuse a head count or setting, with a message
    }
    ++accepted;
    const HeadDimensions d = layout->dimensions();
    require(d.query_heads >= 1 && d.kv_heads >= 1 && d.head_width >= 1 &&
                d.query_heads % d.kv_heads == 0 && d.kv_latent >= 0,
            fmt::format("with {} at heads = {}, d_model = {}: query heads {}, key/value heads {}, "
                        "width {}, key/value latent {} (heads and width at least 1, key/value "
                        "heads dividing query heads, latent at least 0)",
                        describe(setting), s.heads, d_model, d.query_heads, d.kv_heads,
                        d.head_width, d.kv_latent));
  }
  return "";
}

std::string describe_layout_case(const AttentionShape& s) {
  return fmt::format("heads {}, d_model {} (= heads x {})", s.heads, s.heads * s.width, s.width);
}

}  // namespace

ComponentReport check_head_layout(const std::string& name, const CheckOptions& options) {
  const auto& entry = head_layout_registry().find(name);
  ComponentReport report{
      .kind = HeadLayout::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  const std::vector<ParameterSetting> settings = parameter_settings(entry.parameters);
  report.checks.push_back(run_check("dimensions", [&] {
    int64_t accepted = 0;
    const ShapeLimits limits{.max_batch = 1,
                             .max_heads = options.thorough ? 16 : 8,
                             .max_length = 1,
                             .max_width = 8,
                             .self_attention = true};
    const std::string summary = over_shapes(
        options, limits,
        fmt::format("consistent dimensions, each case at all {} parameter settings",
                    settings.size()),
        [&](const AttentionShape& s) { return dimensions(entry, settings, accepted, s); }, false,
        describe_layout_case);
    require(accepted > 0 || options.replay.has_value(),
            "refuses every head count, d_model and parameter setting tried");
    return summary;
  }));
  report.checks.push_back(run_check("cached_generation", [&] {
    return cached_generation_over_shapes(options, settings,
                                         [&](TransformerConfig& config, const ParameterSetting& p) {
                                           config.head_layout = {entry.name, p};
                                         });
  }));
  return report;
}

}  // namespace attnlab::conformance
