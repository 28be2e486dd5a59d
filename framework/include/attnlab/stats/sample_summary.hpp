// A sample of one figure over seeds, summarised (its mean, its standard
// deviation and two confidence intervals for its mean: Student t, and a
// bootstrap interval that stays within the values' range), and two samples
// compared, unpaired (Welch) or paired.
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
  // The expanded percentile bootstrap interval of the mean (seed_mean_interval
  // in bounded_intervals.hpp): within the values' range, so within any range
  // the figure has; NaN below two values or when every value is the same.
  double boot_low = 0.0, boot_high = 0.0;
};

/// Summary of `values` with two-sided `confidence` intervals for their mean
/// (0.95 gives mean ± t_{0.975, n-1} std / sqrt(n), and the bootstrap
/// interval at the same confidence); values that are not finite
/// make every figure NaN (a diverged seed is not averaged away).
SampleSummary summarize(const std::vector<double>& values, double confidence = 0.95);

/// The difference of two samples' means, mean(a) - mean(b), with its two-sided
/// `confidence` interval by Welch's t (unequal variances, Welch-Satterthwaite
/// degrees of freedom). NaN figures when either sample has fewer than two
/// values or a value that is not finite; a point interval when neither varies.
struct MeanDifference {
  double difference = 0.0;
  double ci_low = 0.0, ci_high = 0.0;
  double degrees_of_freedom = 0.0;
};
MeanDifference welch_difference(const std::vector<double>& a, const std::vector<double>& b,
                                double confidence = 0.95);

/// The mean of the pairs' differences a[i] - b[i] (a and b of one length) with
/// its paired t interval, n - 1 degrees of freedom. NaN figures below two pairs
/// or for a value that is not finite; a point interval when the differences do
/// not vary.
MeanDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                 double confidence = 0.95);

/// a[i] - b[i]; std::invalid_argument when their lengths differ.
std::vector<double> pair_differences(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace attnlab
