#include "attnlab/conformance/gradient_check.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <random>

#include "attnlab/ops.hpp"

namespace attnlab::conformance {

Tensor uniform_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  Tensor t = Tensor::zeros(shape);
  for (float& v : t.values())
    v = low + (high - low) * static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53);
  return t;
}

namespace {

double weighted_sum(const Tensor& output, const Tensor& weights) {
  double total = 0.0;
  for (int64_t i = 0; i < output.numel(); ++i)
    total += static_cast<double>(output.data()[i]) * weights.data()[i];
  return total;
}

// Fourth-order central difference (Richardson: (4 D(h/2) - D(h)) / 3), which
// cancels the h^2 truncation term that dominates in deep nonlinear models.
double central_difference(const std::function<Tensor()>& forward, const Tensor& weights,
                          float* element, double step) {
  NoGradGuard no_grad;
  const float original = *element;
  auto slope = [&](double h) {
    *element = original + static_cast<float>(h);
    const double plus = weighted_sum(forward(), weights);
    *element = original - static_cast<float>(h);
    const double minus = weighted_sum(forward(), weights);
    *element = original;
    return (plus - minus) / (2.0 * h);
  };
  return (4.0 * slope(step / 2.0) - slope(step)) / 3.0;
}

}  // namespace

double gradient_error(const std::function<Tensor()>& forward,
                      const std::vector<GradCheckInput>& inputs, const GradCheckOptions& options,
                      std::string* report) {
  for (const auto& input : inputs) {
    Tensor t = input.tensor;
    t.zero_grad();
  }
  Tensor output = forward();
  const Tensor weights = uniform_tensor(output.shape(), options.seed, 0.5f, 1.5f);
  ops::sum(ops::mul(output, weights)).backward();

  double worst = 0.0;
  for (const auto& input : inputs) {
    Tensor t = input.tensor;
    const int64_t n = t.numel();
    const int64_t stride = std::max<int64_t>(1, n / options.max_elements);
    double diff2 = 0.0, analytic2 = 0.0, numeric2 = 0.0;
    for (int64_t i = 0; i < n; i += stride) {
      const double numeric = central_difference(forward, weights, t.data() + i, options.step);
      const double analytic = t.has_grad() ? t.grad()[i] : 0.0;
      diff2 += (analytic - numeric) * (analytic - numeric);
      analytic2 += analytic * analytic;
      numeric2 += numeric * numeric;
    }
    const double scale =
        std::sqrt(std::max({analytic2, numeric2, options.norm_floor * options.norm_floor}));
    const double error = std::sqrt(diff2) / scale;
    worst = std::isnan(error) || std::isnan(worst) ? std::numeric_limits<double>::quiet_NaN()
                                                   : std::max(worst, error);
    if (report)
      *report += fmt::format("{}: relative error {:.2e} (|analytic| {:.3e}, |numeric| {:.3e})\n",
                             input.name, error, std::sqrt(analytic2), std::sqrt(numeric2));
  }
  return worst;
}

}  // namespace attnlab::conformance
