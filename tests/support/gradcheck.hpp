// Finite-difference gradient check: the test every op, attention variant and model passes.
//
// The checked scalar is L = sum_i w_i * f(x)_i with fixed random weights w (so
// no symmetric cancellation hides an error). The analytic gradient comes from
// backward(); the numeric one from central differences (L(x+h) - L(x-h)) / 2h
// evaluated in double from the float32 outputs. The error per input is the
// norm-wise relative error ||analytic - numeric|| / max(||analytic||, ||numeric||),
// which float32 keeps below 1e-3 for h = 1e-2 on values of order one.
#pragma once

#include <attnlab/tensor.hpp>
#include <functional>
#include <string>
#include <vector>

namespace attnlab::testing {

struct GradCheckOptions {
  double step = 1e-2;
  /// Elements perturbed per input at most (spread evenly); keeps model checks fast.
  int64_t max_elements = 48;
  uint64_t seed = 7;
};

struct GradCheckInput {
  std::string name;
  Tensor tensor;  // must require a gradient
};

/// Largest relative error over the inputs; `report` receives one line per input.
double gradient_error(const std::function<Tensor()>& forward, const std::vector<GradCheckInput>& inputs,
                      const GradCheckOptions& options = {}, std::string* report = nullptr);

}  // namespace attnlab::testing
