// Conformance of a positional encoding: it acts exactly through the channels
// it declares, is differentiable, continues correctly after a key/value
// cache, and is defined past max_length when it claims to extrapolate.
#include <fmt/format.h>

#include <cmath>

#include "attnlab/conformance/gradient_check.hpp"
#include "attnlab/model/models.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "check_support.hpp"

namespace attnlab::conformance {
namespace {

constexpr int64_t kLength = 5;

std::unique_ptr<PositionalEncoding> build(const TransformerConfig& config) {
  Rng rng(3);
  return built(positional_registry().create(config.positional.name, {},
                                            {.d_model = config.d_model,
                                             .heads = config.heads,
                                             .head_width = config.d_model / config.heads,
                                             .max_length = config.max_length,
                                             .rng = rng}));
}

bool all_finite(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.data()[i])) return false;
  return true;
}

std::string declared_channels(const TransformerConfig& config,
                              const PositionalEncoding::Capabilities& claims) {
  const auto encoding = build(config);
  const int64_t width = config.d_model / config.heads;
  const bool embeds = encoding->embedding_term(0, kLength).defined();
  const bool biases = encoding->score_bias(kLength, kLength, true).defined();
  const Tensor q = uniform_tensor({1, config.heads, kLength, width}, 1);
  const Tensor k = uniform_tensor({1, config.heads, kLength, width}, 2);
  const auto [q_rotated, k_rotated] = encoding->rotate(q, 0, k, 0);
  const bool rotates = max_difference(q, q_rotated) > 0.0f || max_difference(k, k_rotated) > 0.0f;
  auto say = [](const char* channel, bool declared, bool acts) {
    return declared == acts ? std::string()
                            : fmt::format("{} is {} but the encoding {}; ", channel,
                                          declared ? "declared" : "not declared",
                                          acts ? "acts there" : "does not act there");
  };
  const std::string mismatch = say("embeddings", claims.embeddings, embeds) +
                               say("score_bias", claims.score_bias, biases) +
                               say("rotates_qk", claims.rotates_qk, rotates);
  require(mismatch.empty(), mismatch);
  return "acts exactly through the channels it declares";
}

std::string gradients(const TransformerConfig& config) {
  Rng rng(4);
  const DecoderLM model(config, rng);
  const TokenBatch tokens = counting_tokens(2, kLength);
  std::vector<GradCheckInput> checked;
  for (auto& [name, tensor] : model.named_parameters()) checked.push_back({name, tensor});
  // Deep float32 forwards: a larger step and floor, as attnlab's own model checks.
  const GradCheckOptions options{.step = 8e-2, .max_elements = 12, .seed = 7, .norm_floor = 0.1};
  std::string report;
  const double error =
      gradient_error([&] { return model.forward(tokens); }, checked, options, &report);
  require(error <= 1e-3,
          fmt::format("relative gradient error {:.3g} (at most 1e-3):\n{}", error, report));
  return fmt::format("relative gradient error {:.2g} over a decoder's parameters", error);
}

std::string extrapolates(const TransformerConfig& config,
                         const PositionalEncoding::Capabilities& claims) {
  const auto encoding = build(config);
  const int64_t beyond = 2 * config.max_length, width = config.d_model / config.heads;
  const auto require_finite = [&](bool declared, const Tensor& t, const char* channel) {
    if (!declared) return;
    require(t.defined() && all_finite(t),
            fmt::format("{} is {} at length {} (max_length {})", channel,
                        t.defined() ? "not finite" : "undefined", beyond, config.max_length));
  };
  require_finite(claims.embeddings, encoding->embedding_term(0, beyond), "the embedding term");
  require_finite(claims.score_bias, encoding->score_bias(beyond, beyond, true), "the score bias");
  const Tensor q = uniform_tensor({1, config.heads, 2, width}, 3);
  require_finite(claims.rotates_qk, encoding->rotate(q, beyond, q, beyond).first,
                 "the rotated query");
  return fmt::format("every declared channel defined and finite at length {} = 2 x max_length",
                     beyond);
}

}  // namespace

ComponentReport check_positional_encoding(const std::string& name) {
  const auto& entry = positional_registry().find(name);
  TransformerConfig config = small_model_config();
  config.positional = {entry.name, {}};
  ComponentReport report{
      .kind = PositionalEncoding::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  report.checks.push_back(run_check("declared_channels",
                                    [&] { return declared_channels(config, entry.capabilities); }));
  report.checks.push_back(run_check("gradients", [&] { return gradients(config); }));
  report.checks.push_back(
      run_check("cached_generation", [&] { return require_cached_generation_matches(config); }));
  report.checks.push_back(
      entry.capabilities.extrapolates
          ? run_check("extrapolates", [&] { return extrapolates(config, entry.capabilities); })
          : skipped_check("extrapolates", "not claimed"));
  return report;
}

}  // namespace attnlab::conformance
