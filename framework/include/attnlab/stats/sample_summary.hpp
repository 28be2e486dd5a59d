// A sample of one figure over seeds, summarised: its mean, its standard
// deviation and a confidence interval for its mean.
#pragma once

#include <cstdint>
#include <vector>

namespace attnlab {

struct SampleSummary {
  int64_t count = 0;
  double mean = 0.0;     // NaN without values
  double std = 0.0;      // sample standard deviation (n - 1); NaN below two values
  double ci_low = 0.0;   // the confidence interval of the mean, Student t with n - 1
  double ci_high = 0.0;  // degrees of freedom; NaN below two values
};

/// Summary of `values` with a two-sided `confidence` interval for their mean
/// (0.95 gives mean ± t_{0.975, n-1} std / sqrt(n)); values that are not finite
/// make every figure NaN (a diverged seed is not averaged away).
SampleSummary summarize(const std::vector<double>& values, double confidence = 0.95);

}  // namespace attnlab
