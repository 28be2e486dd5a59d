// Seeded parameter initialisation. Values come from the generator's raw bits
// (not std:: distributions, whose output differs between standard libraries),
// so a seed gives the same model everywhere.
#pragma once

#include "attnlab/nn/module.hpp"
#include "attnlab/tensor.hpp"

namespace attnlab::init {

/// A tensor of values uniform in [-bound, bound).
Tensor uniform(const Shape& shape, float bound, Rng& rng);
/// A tensor of normal values with mean 0 and the given standard deviation (Box-Muller).
Tensor normal(const Shape& shape, float stddev, Rng& rng);

}  // namespace attnlab::init
