#include "attnlab/stats/sample_summary.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "attnlab/stats/bounded_intervals.hpp"

namespace attnlab {

SampleSummary summarize(const std::vector<double>& values, double confidence) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  SampleSummary s{static_cast<int64_t>(values.size()), kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  if (values.empty()) return s;
  for (const double v : values)
    if (!std::isfinite(v)) return s;
  double sum = 0.0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  if (values.size() < 2) return s;
  double squares = 0.0;
  for (const double v : values) squares += (v - s.mean) * (v - s.mean);
  const auto n = static_cast<double>(values.size());
  s.std = std::sqrt(squares / (n - 1.0));
  const boost::math::students_t t(n - 1.0);
  const double half_width = boost::math::quantile(t, 0.5 + confidence / 2.0) * s.std / std::sqrt(n);
  s.ci_low = s.mean - half_width;
  s.ci_high = s.mean + half_width;
  const Interval bootstrap = seed_mean_interval(values, confidence);
  s.boot_low = bootstrap.low;
  s.boot_high = bootstrap.high;
  return s;
}

MeanDifference welch_difference(const std::vector<double>& a, const std::vector<double>& b,
                                double confidence) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const SampleSummary x = summarize(a, confidence), y = summarize(b, confidence);
  MeanDifference d{x.mean - y.mean, kNaN, kNaN, kNaN};
  if (std::isnan(x.std) || std::isnan(y.std)) return d;
  const double va = x.std * x.std / static_cast<double>(x.count),
               vb = y.std * y.std / static_cast<double>(y.count);
  if (va + vb == 0.0) {  // neither sample varies: the difference is known exactly
    d.ci_low = d.ci_high = d.difference;
    d.degrees_of_freedom = static_cast<double>(x.count + y.count - 2);
    return d;
  }
  d.degrees_of_freedom =
      (va + vb) * (va + vb) /
      (va * va / static_cast<double>(x.count - 1) + vb * vb / static_cast<double>(y.count - 1));
  const boost::math::students_t t(d.degrees_of_freedom);
  const double half_width = boost::math::quantile(t, 0.5 + confidence / 2.0) * std::sqrt(va + vb);
  d.ci_low = d.difference - half_width;
  d.ci_high = d.difference + half_width;
  return d;
}

std::vector<double> pair_differences(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("pair_differences: " + std::to_string(a.size()) +
                                " values against " + std::to_string(b.size()));
  std::vector<double> differences(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) differences[i] = a[i] - b[i];
  return differences;
}

MeanDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                 double confidence) {
  const SampleSummary d = summarize(pair_differences(a, b), confidence);
  return {d.mean, d.ci_low, d.ci_high,
          std::isnan(d.std) ? d.std : static_cast<double>(d.count - 1)};
}

}  // namespace attnlab
