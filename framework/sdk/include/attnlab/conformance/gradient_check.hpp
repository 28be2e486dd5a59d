// Finite-difference gradient check: the test every op, attention variant and
// model passes, here for plugin authors too (attnlab check-plugin runs it).
//
// The checked scalar is L = sum_i w_i * f(x)_i with fixed random weights w (so
// no symmetric cancellation hides an error). The analytic gradient comes from
// backward(); the numeric one from a fourth-order central difference
// (4 D(h/2) - D(h)) / 3 with D(h) = (L(x+h) - L(x-h)) / 2h, evaluated in double
// from the float32 outputs, h = 4e-2 by default (rounding noise in float32 forwards falls as 1/h;
// the fourth-order formula keeps truncation small). The error per input is the norm-wise relative
// error ||analytic - numeric|| / max(||analytic||, ||numeric||, floor), which stays below 1e-3 on
// values of order one. The floor (5e-2) makes gradients that are zero in exact arithmetic (a key
// bias under softmax, whose scores shift by the same amount per row) compare absolutely instead of
// as rounding noise over rounding noise.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab::conformance {

/// Values drawn uniformly from [low, high) by a generator seeded with `seed`
/// (the same on every machine).
Tensor uniform_tensor(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

struct GradCheckOptions {
  double step = 4e-2;
  /// Elements perturbed per input at most (spread evenly); keeps model checks fast.
  int64_t max_elements = 48;
  uint64_t seed = 7;
  double norm_floor = 5e-2;
};

struct GradCheckInput {
  std::string name;
  Tensor tensor;  // must require a gradient
};

/// Largest relative error over the inputs; `report` receives one line per input.
double gradient_error(const std::function<Tensor()>& forward,
                      const std::vector<GradCheckInput>& inputs,
                      const GradCheckOptions& options = {}, std::string* report = nullptr);

}  // namespace attnlab::conformance
