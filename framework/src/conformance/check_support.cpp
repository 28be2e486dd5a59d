#include "check_support.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

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

std::string require_cached_generation_matches(const TransformerConfig& config) {
  Rng rng(8);
  const DecoderLM model(config, rng);
  const TokenBatch prompt = counting_tokens(2, 3);
  const Generation cached = model.generate(prompt, 6, true);
  const Generation full = model.generate(prompt, 6, false);
  require(cached.tokens.ids == full.tokens.ids,
          "the tokens generated with the key/value cache differ from recomputing the prefix");
  const float difference = max_difference(cached.logits, full.logits);
  require(difference <= 1e-5f,
          fmt::format("cached and recomputed logits differ by {:.3g} (at most 1e-5)", difference));
  return fmt::format("6 tokens with and without the cache: logits within {:.2g}", difference);
}

}  // namespace attnlab::conformance
