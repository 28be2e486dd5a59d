#include "attnlab/model/sampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "attnlab/error.hpp"

namespace attnlab {

TokenChooser sampling_chooser(double temperature, int64_t top_k, Rng& rng) {
  if (!std::isfinite(temperature) || temperature < 0.0)
    throw ConfigError(fmt::format(
        "temperature: found {}, expected a number >= 0 (0 = greedy decoding)", temperature));
  if (top_k < 0)
    throw ConfigError(fmt::format("top-k: found {}, expected >= 0 (0 = every token)", top_k));
  if (temperature == 0.0) return {};
  return [temperature, top_k, &rng](std::span<const float> logits) {
    const auto vocab = static_cast<int64_t>(logits.size());
    // The k-th largest logit: those below it are left out (ties at it are kept).
    std::vector<float> sorted(logits.begin(), logits.end());
    const int64_t kept = top_k == 0 ? vocab : std::min(top_k, vocab);
    std::nth_element(sorted.begin(), sorted.begin() + (kept - 1), sorted.end(), std::greater<>());
    const float threshold = sorted[static_cast<std::size_t>(kept - 1)];
    const float largest = *std::max_element(logits.begin(), logits.end());
    std::vector<double> weights(logits.size(), 0.0);
    double total = 0.0;
    for (std::size_t i = 0; i < logits.size(); ++i)
      if (logits[i] >= threshold)
        total += weights[i] = std::exp((static_cast<double>(logits[i]) - largest) / temperature);
    double draw = std::generate_canonical<double, 53>(rng) * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] == 0.0) continue;
      if (draw < weights[i]) return static_cast<int32_t>(i);
      draw -= weights[i];
    }
    // Rounding left the draw past the end: the last kept token.
    for (std::size_t i = weights.size(); i-- > 0;)
      if (weights[i] > 0.0) return static_cast<int32_t>(i);
    return static_cast<int32_t>(0);
  };
}

}  // namespace attnlab
