#include "support/random.hpp"

#include <attnlab/conformance/gradient_check.hpp>

namespace attnlab::testing {

Tensor random_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  return conformance::uniform_tensor(shape, seed, low, high);
}

Tensor random_variable(const Shape& shape, uint64_t seed, float low, float high) {
  Tensor t = random_tensor(shape, seed, low, high);
  t.requires_grad();
  return t;
}

}  // namespace attnlab::testing
