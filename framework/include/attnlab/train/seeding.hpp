// Independent, reproducible random streams from one experiment seed.
#pragma once

#include <cstdint>
#include <string_view>

#include "attnlab/nn/module.hpp"

namespace attnlab {

/// A generator for one purpose ("init", "data", "dropout", "eval", ...): the
/// same seed and purpose always give the same stream; different purposes give
/// unrelated streams, so e.g. adding dropout does not change the data order.
Rng seeded_rng(uint64_t seed, std::string_view purpose);

}  // namespace attnlab
