#include "attnlab/stats/sample_summary.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace attnlab {

SampleSummary summarize(const std::vector<double>& values, double confidence) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  SampleSummary s{static_cast<int64_t>(values.size()), kNaN, kNaN, kNaN, kNaN};
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
  return s;
}

}  // namespace attnlab
