// mla: multi-head latent attention (DeepSeek-AI 2024, "DeepSeek-V2: A Strong,
// Economical, and Efficient Mixture-of-Experts Language Model", section 2.1).
// Keys and values are not projected from the input but from one shared
// low-rank latent of it:
//   c = W_down x   [d_c],   k_i = W_uk,i c,   v_i = W_uv,i c   (every query head its own)
// A cache then needs c only (d_c numbers per token, against 2 h d_k for
// multi-head attention), and the key/value projections cost
// D d_c + 2 d_c h d_k parameters instead of 2 D h d_k.
// Left out, and why: DeepSeek-V2's RMSNorm of the latent and its low-rank query
// projection (both optional refinements), and its decoupled rotary key, which
// exists because a production cache keeps c and folds W_uk into the queries;
// attnlab caches the up-projected k and v, so rotary encodings apply to k as
// for any layout. The numbers are MLA's; the cache saving is not realised.
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

void register_components(PluginRegistrar& registrar) {
  std::vector<ParameterSpec> parameters = head_width_parameters();
  parameters.push_back({"latent", ParameterType::integer, "0",
                        "d_c, the key/value latent's width; 0 = d_model / 2", at_least(0)});
  registrar.add_head_layout({
      .name = "mla",
      .description = "multi-head latent attention: keys and values projected up from one shared "
                     "low-rank latent (DeepSeek-V2)",
      .parameters = parameters,
      .capabilities = {},
      .factory = [](const Parameters& p,
                    const HeadLayout::BuildContext& c) -> std::unique_ptr<HeadLayout> {
        const int64_t width = resolve_head_width(p, c, "mla");
        const int64_t latent = p.integer("latent") > 0 ? p.integer("latent") : c.d_model / 2;
        if (latent < 1)
          throw ConfigError(fmt::format(
              "head layout 'mla': the latent (d_model / 2 = {}) must be at least 1; set latent",
              latent));
        return std::make_unique<StaticHeadLayout>(HeadDimensions{
            .query_heads = c.heads, .kv_heads = c.heads, .head_width = width, .kv_latent = latent});
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
