#include "check_support.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/model/models.hpp"

namespace attnlab::conformance {

bool ComponentReport::passed() const {
  for (const Check& check : checks)
    if (!check.skipped && !check.passed) return false;
  return true;
}

Check run_check(std::string name, const std::function<std::string()>& body) {
  Check check{.name = std::move(name), .passed = false, .skipped = false, .detail = {}};
  try {
    check.detail = body();
    check.passed = true;
  } catch (const CheckFailed& failure) {
    check.detail = failure.what();
  } catch (const std::exception& error) {
    check.detail = fmt::format("threw: {}", error.what());
  } catch (...) {
    check.detail = "threw something that is not a std::exception";
  }
  return check;
}

Check skipped_check(std::string name, std::string why) {
  return {.name = std::move(name), .passed = false, .skipped = true, .detail = std::move(why)};
}

void require(bool holds, const std::string& what) {
  if (!holds) throw CheckFailed(what);
}

float max_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<float>::infinity();
  float largest = 0.0f;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const float difference = std::abs(a.data()[i] - b.data()[i]);
    if (std::isnan(difference)) return difference;
    largest = std::max(largest, difference);
  }
  return largest;
}

ShapeLimits attention_limits(const CheckOptions& options) {
  ShapeLimits limits;
  if (options.thorough) limits.max_length = 256;
  return limits;
}

ShapeLimits small_limits(const CheckOptions& options) {
  return {.max_batch = 2,
          .max_heads = options.thorough ? 5 : 3,
          .max_length = options.thorough ? 12 : 8,
          .max_width = options.thorough ? 8 : 5,
          .self_attention = false};
}

std::string over_shapes(const CheckOptions& options, const ShapeLimits& limits,
                        const std::string& described, const ShapeProperty& property, bool fewer,
                        const CaseDescription& describe_case) {
  const CaseDescription name_of =
      describe_case ? describe_case : [](const AttentionShape& s) { return describe(s); };
  const int64_t all = options.case_count();
  const int64_t cases = fewer ? std::max<int64_t>(8, all / 3) : all;
  // What the checked cases reached: the summary says this, not the limits.
  AttentionShape largest{0, 0, 0, 0, 0, 0};
  std::set<int64_t> settings;
  int64_t accepted = 0;
  std::string refusal;
  const ShapeProperty refusable = [&](const AttentionShape& s) -> std::string {
    try {
      std::string measured = property(s);
      ++accepted;
      for (int64_t AttentionShape::*field :
           {&AttentionShape::batch, &AttentionShape::heads, &AttentionShape::queries,
            &AttentionShape::keys, &AttentionShape::width})
        largest.*field = std::max(largest.*field, s.*field);
      settings.insert(s.setting);
      return measured;
    } catch (const Refused& refused) {
      refusal = refused.what();
      return "refused";
    }
  };
  const std::optional<ShapeFailure> failure =
      find_failure(options.seed, cases, limits, refusable, options.replay);
  const std::string replay_options =
      fmt::format("--seed {}{}", options.seed, options.thorough ? " --thorough" : "");
  if (failure) {
    const AttentionShape start = shape_case(options.seed, failure->index, limits);
    throw CheckFailed(fmt::format(
        "{}\n    at {}\n    (shrunk in {} property calls from case {} of seed {}: {}; replay "
        "with {} --replay {})",
        failure->what, name_of(failure->shape), failure->shrink_calls, failure->index, options.seed,
        name_of(start), replay_options, failure->index));
  }
  if (options.replay)
    return accepted > 0
               ? fmt::format("{}: case {} of seed {}", described, *options.replay, options.seed)
               : fmt::format("case {} of seed {} refused: {}", *options.replay, options.seed,
                             refusal);
  require(accepted > 0, fmt::format("every case was refused ({}): the component was never "
                                    "checked",
                                    refusal));
  largest.setting = 0;
  return fmt::format("{}: {} cases of seed {}, the largest reaching {}{}", described, cases,
                     options.seed, name_of(largest),
                     limits.settings > 1 ? fmt::format("; {} of {} parameter settings",
                                                       settings.size(), limits.settings)
                                         : "");
}

std::mt19937_64 shape_rng(const AttentionShape& s, uint64_t salt) {
  uint64_t h = salt;
  for (const int64_t field : {s.batch, s.heads, s.queries, s.keys, s.width})
    h = (h ^ static_cast<uint64_t>(field)) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
  return std::mt19937_64(h);
}

bool all_finite(const Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.data()[i])) return false;
  return true;
}

void perturb_parameters(const Module& module) {
  std::mt19937_64 rng(0x5eed);
  std::uniform_real_distribution<float> noise(-0.3f, 0.3f);
  for (const auto& [name, parameter] : module.named_parameters()) {
    Tensor moved = parameter;  // a handle: the module's own values change
    for (float& value : moved.values()) value += noise(rng);
  }
}

double require_gradients(const std::function<Tensor()>& forward,
                         const std::vector<GradCheckInput>& inputs, GradCheckOptions options,
                         std::initializer_list<double> steps) {
  constexpr double kTolerance = 1e-3;
  double worst = 0.0;
  std::string failed;
  for (const GradCheckInput& input : inputs) {
    double best = std::numeric_limits<double>::infinity();
    std::string best_report;
    for (const double step : steps) {
      options.step = step;
      std::string report;
      const double error = gradient_error(forward, {input}, options, &report);
      if (!std::isnan(error) && error < best) {  // NaN is never better
        best = error;
        best_report = fmt::format("step {:g}: {}", step, report);
      }
      if (best <= kTolerance) break;
    }
    if (!(best <= kTolerance))
      failed += best_report.empty() ? input.name + ": NaN at every step\n" : best_report;
    worst = std::max(worst, best);
  }
  require(failed.empty(), fmt::format("relative gradient error above {:g} at every "
                                      "finite-difference step from {:g} to {:g} (each input at "
                                      "its best):\n{}",
                                      kTolerance, *steps.begin(), *(steps.end() - 1), failed));
  return worst;
}

TransformerConfig small_model_config() {
  TransformerConfig config;
  config.vocab_size = 7;
  config.d_model = 8;
  config.heads = 2;
  config.ffn_dim = 16;
  config.encoder_layers = config.decoder_layers = 2;
  config.max_length = 16;
  config.activation = Activation::gelu;  // smooth, for finite differences
  return config;
}

TokenBatch counting_tokens(int64_t rows, int64_t length) {
  TokenBatch tokens{.batch = rows, .length = length, .ids = {}, .lengths = {}};
  for (int64_t i = 0; i < rows * length; ++i) tokens.ids.push_back(static_cast<int32_t>(1 + i % 6));
  return tokens;
}

std::string require_cached_generation_matches(const TransformerConfig& config, int64_t rows,
                                              int64_t prompt_length, int64_t continued) {
  Rng rng(8);
  const DecoderLM model(config, rng);
  perturb_parameters(model);
  const TokenBatch prompt = counting_tokens(rows, prompt_length);
  const Generation cached = model.generate(prompt, continued, true);
  const Generation full = model.generate(prompt, continued, false);
  require(cached.tokens.ids == full.tokens.ids,
          "the tokens generated with the key/value cache differ from recomputing the prefix");
  const float difference = max_difference(cached.logits, full.logits);
  require(difference <= 1e-5f,
          fmt::format("cached and recomputed logits differ by {:.3g} (at most 1e-5)", difference));
  return fmt::format("{} tokens with and without the cache: logits within {:.2g}", continued,
                     difference);
}

ShapeLimits with_settings(ShapeLimits limits, const std::vector<ParameterSetting>& settings) {
  limits.settings = static_cast<int64_t>(settings.size());
  return limits;
}

std::string with_setting(const AttentionShape& s, const std::vector<ParameterSetting>& settings) {
  if (s.setting == 0 || s.setting >= static_cast<int64_t>(settings.size())) return "";
  return ", with " + describe(settings[static_cast<std::size_t>(s.setting)]);
}

std::string describe(const AttentionShape& s, const std::vector<ParameterSetting>& settings) {
  AttentionShape fields = s;
  fields.setting = 0;
  return describe(fields) + with_setting(s, settings);
}

std::string cached_generation_over_shapes(
    const CheckOptions& options, const std::vector<ParameterSetting>& settings,
    const std::function<void(TransformerConfig&, const ParameterSetting&)>& configure) {
  const ShapeLimits limits = with_settings({.max_batch = 3,
                                            .max_heads = 4,
                                            .max_length = 30,
                                            .max_width = 6,
                                            .self_attention = false,
                                            .settings = 1},
                                           settings);
  const std::string summary = over_shapes(
      options, limits, "cached and recomputed generation agree (tokens; logits within 1e-5)",
      [&](const AttentionShape& s) {
        TransformerConfig config = small_model_config();
        config.heads = s.heads;
        config.d_model = s.heads * (s.width + s.width % 2);  // even: sin/cos pairs
        config.ffn_dim = 2 * config.d_model;
        config.max_length = 64;
        configure(config, settings[static_cast<std::size_t>(s.setting)]);
        // A ConfigError building the model, or generating (a positional table
        // too short for the length), refuses the case.
        refusing([&] {
          Rng rng(8);
          return std::make_unique<DecoderLM>(config, rng);
        });
        return refusing(
            [&] { return require_cached_generation_matches(config, s.batch, s.queries, s.keys); });
      },
      true,
      [&](const AttentionShape& s) {
        return fmt::format("{} prompt(s) of {} token(s), {} generated, heads {}, d_model {}{}",
                           s.batch, s.queries, s.keys, s.heads, s.heads * (s.width + s.width % 2),
                           with_setting(s, settings));
      });
  return summary;
}

}  // namespace attnlab::conformance
