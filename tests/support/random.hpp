// Seeded random tensors for tests.
#pragma once

#include <attnlab/tensor.hpp>
#include <cstdint>

namespace attnlab::testing {

/// Uniform values in [low, high), reproducible from the seed.
Tensor random_tensor(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

/// Same, marked as requiring a gradient.
Tensor random_variable(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

}  // namespace attnlab::testing
