#include "support/random.hpp"

#include <random>

namespace attnlab::testing {

Tensor random_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  Tensor t = Tensor::zeros(shape);
  for (float& v : t.values())
    v = low + (high - low) * static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53);
  return t;
}

Tensor random_variable(const Shape& shape, uint64_t seed, float low, float high) {
  Tensor t = random_tensor(shape, seed, low, high);
  t.requires_grad();
  return t;
}

}  // namespace attnlab::testing
