#include "attnlab/train/optimizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "attnlab/error.hpp"
#include "tensor/eigen.hpp"

namespace attnlab {

AdamW::AdamW(std::vector<Tensor> parameters, AdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (const Tensor& p : parameters_) {
    first_moment_.emplace_back(static_cast<std::size_t>(p.numel()), 0.0f);
    second_moment_.emplace_back(static_cast<std::size_t>(p.numel()), 0.0f);
  }
}

void AdamW::step(float lr) {
  ++steps_;
  const double t = static_cast<double>(steps_);
  const float correction1 = static_cast<float>(1.0 - std::pow(options_.beta1, t));
  const float correction2 = static_cast<float>(1.0 - std::pow(options_.beta2, t));
  const float step_size = lr / correction1;
  const float inv_sqrt_correction2 = 1.0f / std::sqrt(correction2);
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    if (!p.has_grad()) continue;
    const int64_t n = p.numel();
    auto value = detail::array(p.data(), n);
    const auto grad = detail::array(p.grad().data(), n);
    auto m = detail::array(first_moment_[i].data(), n);
    auto v = detail::array(second_moment_[i].data(), n);
    value *= 1.0f - lr * options_.weight_decay;  // decoupled decay, as torch: before the Adam step
    m = options_.beta1 * m + (1.0f - options_.beta1) * grad;
    v = options_.beta2 * v + (1.0f - options_.beta2) * grad.square();
    value -= step_size * m / (v.sqrt() * inv_sqrt_correction2 + options_.eps);
  }
}

void AdamW::restore(AdamWState state) {
  const auto fits = [&](const std::vector<std::vector<float>>& moments) {
    if (moments.size() != parameters_.size()) return false;
    for (std::size_t i = 0; i < moments.size(); ++i)
      if (static_cast<int64_t>(moments[i].size()) != parameters_[i].numel()) return false;
    return true;
  };
  if (!fits(state.first_moment) || !fits(state.second_moment) || state.steps < 0)
    throw Error(
        fmt::format("an optimizer state of {} moments does not fit AdamW over these {} parameters",
                    state.first_moment.size(), parameters_.size()));
  steps_ = state.steps;
  first_moment_ = std::move(state.first_moment);
  second_moment_ = std::move(state.second_moment);
}

void AdamW::zero_grad() {
  for (Tensor& p : parameters_) p.zero_grad();
}

float clip_gradient_norm(const std::vector<Tensor>& parameters, float max_norm) {
  double squares = 0.0;
  for (const Tensor& p : parameters)
    if (p.has_grad())
      squares += detail::array(p.grad().data(), p.numel()).cast<double>().square().sum();
  const float norm = static_cast<float>(std::sqrt(squares));
  if (max_norm > 0.0f && norm > max_norm) {
    const float factor = max_norm / (norm + 1e-6f);
    for (Tensor p : parameters)
      if (p.has_grad()) detail::array(p.mutable_grad().data(), p.numel()) *= factor;
  }
  return norm;
}

float WarmupCosineSchedule::at(int64_t step) const {
  if (step < warmup_steps)
    return peak * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps));
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return static_cast<float>(peak * (final_ratio + (1.0 - final_ratio) * cosine));
}

}  // namespace attnlab
