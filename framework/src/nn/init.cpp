#include "attnlab/nn/init.hpp"

#include <cmath>
#include <numbers>

namespace attnlab::init {
namespace {

double unit_uniform(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

Tensor uniform(const Shape& shape, float bound, Rng& rng) {
  Tensor t = Tensor::zeros(shape);
  for (float& v : t.values()) v = static_cast<float>((2.0 * unit_uniform(rng) - 1.0) * bound);
  return t;
}

Tensor normal(const Shape& shape, float stddev, Rng& rng) {
  Tensor t = Tensor::zeros(shape);
  for (float& v : t.values()) {
    const double radius = std::sqrt(-2.0 * std::log1p(-unit_uniform(rng)));  // log of (0, 1]
    v = static_cast<float>(stddev * radius * std::cos(2.0 * std::numbers::pi * unit_uniform(rng)));
  }
  return t;
}

}  // namespace attnlab::init
