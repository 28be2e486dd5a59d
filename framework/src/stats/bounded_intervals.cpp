#include "attnlab/stats/bounded_intervals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace attnlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kLongestSample = 128;  // NumPy's pairwise block: one block, no split
static_assert(Rng::min() == 0 && Rng::max() == std::numeric_limits<uint64_t>::max(),
              "resampling takes raw 64-bit draws modulo n");

void require_confidence(double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw std::invalid_argument(
        fmt::format("a confidence level must lie in (0, 1), got {}", confidence));
}

// NumPy's pairwise sum of a short run (numpy/core/src/umath/loops_utils.h):
// below 8 values one after another; from 8 on, eight running sums over the
// values in steps of 8, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) +
// (r6 + r7)), then the rest added in order. (Runs past 128 values are split in
// halves; seed counts never reach that, so neither does this.)
double numpy_sum(const std::vector<double>& x) {
  const std::size_t n = x.size();
  if (n < 8) {
    double sum = 0.0;  // NumPy starts from -0.0; the same for any sum of values here
    for (const double v : x) sum += v;
    return sum;
  }
  double r[8];
  for (std::size_t j = 0; j < 8; ++j) r[j] = x[j];
  std::size_t i = 8;
  for (; i + 8 <= n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) r[j] += x[i + j];
  double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) sum += x[i];
  return sum;
}

double numpy_mean(const std::vector<double>& x) {
  return numpy_sum(x) / static_cast<double>(x.size());
}

// numpy.percentile(sorted, q * 100) with the default linear rule.
double linear_quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = at - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

// The BCa quantile levels for alpha and 1 - alpha (Efron 1987): z0 from the
// share of resampled means below the mean, the acceleration from the jackknife.
std::pair<double, double> bca_levels(const std::vector<double>& values,
                                     const std::vector<double>& resampled, double mean,
                                     double alpha) {
  const auto below =
      std::count_if(resampled.begin(), resampled.end(), [&](double m) { return m < mean; });
  const auto at_most =
      std::count_if(resampled.begin(), resampled.end(), [&](double m) { return m <= mean; });
  const double share =
      static_cast<double>(below + at_most) / (2.0 * static_cast<double>(resampled.size()));
  if (share <= 0.0 || share >= 1.0) return {kNaN, kNaN};
  const boost::math::normal unit;
  const double z0 = boost::math::quantile(unit, share);
  std::vector<double> jackknife;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::vector<double> rest = values;
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
    jackknife.push_back(numpy_mean(rest));
  }
  const double centre = numpy_mean(jackknife);
  double cubes = 0.0, squares = 0.0;
  for (const double t : jackknife) {
    cubes += std::pow(centre - t, 3);
    squares += std::pow(centre - t, 2);
  }
  if (squares == 0.0) return {kNaN, kNaN};
  const double acceleration = cubes / (6.0 * std::pow(squares, 1.5));
  const auto level = [&](double z) {
    const double shifted = z0 + z;
    return boost::math::cdf(unit, z0 + shifted / (1.0 - acceleration * shifted));
  };
  const double z_alpha = boost::math::quantile(unit, alpha);
  return {level(z_alpha), level(-z_alpha)};
}

// One multiset of resampled values: its mean, and how many of the n^n
// ordered resamples give it.
struct WeightedMean {
  double mean;
  uint64_t weight;
};

// Every multiset of values.size() draws from `values` (counts[i] draws of
// value i), with its multinomial weight n! / prod counts[i]!.
void every_multiset(const std::vector<double>& values, std::vector<int64_t>& counts,
                    std::size_t next, int64_t left, std::vector<WeightedMean>& out) {
  if (next + 1 == values.size()) {
    counts[next] = left;
    const auto n = static_cast<int64_t>(values.size());
    uint64_t weight = 1;  // n! / prod c!, built as a product of binomials to stay exact
    int64_t placed = 0;
    double sum = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (int64_t j = 1; j <= counts[i]; ++j)
        weight = weight * static_cast<uint64_t>(placed + j) / static_cast<uint64_t>(j);
      placed += counts[i];
      sum += static_cast<double>(counts[i]) * values[i];
    }
    out.push_back({sum / static_cast<double>(n), weight});
    return;
  }
  for (int64_t c = 0; c <= left; ++c) {
    counts[next] = c;
    every_multiset(values, counts, next + 1, left - c, out);
  }
}

// numpy.percentile's linear rule at levels `low_level` and `high_level` over
// the means of all n^n resamples, read from the weighted multisets.
Interval ideal_bootstrap_quantiles(const std::vector<double>& values, double low_level,
                                   double high_level) {
  std::vector<WeightedMean> means;
  std::vector<int64_t> counts(values.size(), 0);
  every_multiset(values, counts, 0, static_cast<int64_t>(values.size()), means);
  std::sort(means.begin(), means.end(),
            [](const WeightedMean& a, const WeightedMean& b) { return a.mean < b.mean; });
  uint64_t total = 0;
  for (const WeightedMean& m : means) total += m.weight;
  // The resampled mean of rank `rank` (0-based) among all n^n.
  const auto at_rank = [&](uint64_t rank) {
    uint64_t below = 0;
    for (const WeightedMean& m : means) {
      below += m.weight;
      if (rank < below) return m.mean;
    }
    return means.back().mean;
  };
  const auto quantile = [&](double level) {
    const double at = level * static_cast<double>(total - 1);
    const auto rank = static_cast<uint64_t>(std::floor(at));
    const double fraction = at - static_cast<double>(rank);
    const double below = at_rank(rank), above = at_rank(std::min(rank + 1, total - 1));
    return below + fraction * (above - below);
  };
  return {quantile(low_level), quantile(high_level)};
}

// A generator seeded by the values' bits: the same values, the same resamples.
Rng seeded_by(const std::vector<double>& values) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const double v : values) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    for (int byte = 0; byte < 8; ++byte) {
      hash ^= (bits >> (8 * byte)) & 0xffU;
      hash *= 1099511628211ULL;
    }
  }
  return Rng(hash);
}

bool resamplable(const std::vector<double>& values) {
  return values.size() >= 2 && values.size() <= kLongestSample &&
         std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); }) &&
         !std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); });
}

}  // namespace

double expanded_tail(int64_t n, double confidence) {
  require_confidence(confidence);
  if (n < 2) return kNaN;
  const auto count = static_cast<double>(n);
  const double t =
      boost::math::quantile(boost::math::students_t(count - 1.0), (1.0 - confidence) / 2.0);
  return boost::math::cdf(boost::math::normal(), std::sqrt(count / (count - 1.0)) * t);
}

Interval seed_mean_interval(const std::vector<double>& values, double confidence) {
  const double tail = expanded_tail(static_cast<int64_t>(values.size()), confidence);
  if (!resamplable(values)) return {kNaN, kNaN};
  const auto extremes = std::minmax_element(values.begin(), values.end());
  const double smallest = *extremes.first, largest = *extremes.second;
  if (static_cast<int64_t>(values.size()) > kEveryResampleUpTo) {
    Rng rng = seeded_by(values);
    return bootstrap_mean_interval(
        values, bootstrap_resamples(static_cast<int64_t>(values.size()), kDrawnResamples, rng),
        BootstrapMethod::percentile, 1.0 - 2.0 * tail);
  }
  const Interval ends = ideal_bootstrap_quantiles(values, tail, 1.0 - tail);
  return {std::clamp(ends.low, smallest, largest), std::clamp(ends.high, smallest, largest)};
}

std::vector<std::vector<int64_t>> bootstrap_resamples(int64_t n, int64_t resamples, Rng& rng) {
  if (n < 1 || resamples < 0)
    throw std::invalid_argument(fmt::format(
        "bootstrap resamples: need n >= 1 and resamples >= 0, got n {} and {} resamples", n,
        resamples));
  std::vector<std::vector<int64_t>> rows(static_cast<std::size_t>(resamples));
  for (std::vector<int64_t>& row : rows)
    for (int64_t i = 0; i < n; ++i)
      row.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(n)));
  return rows;
}

Interval bootstrap_mean_interval(const std::vector<double>& values,
                                 const std::vector<std::vector<int64_t>>& resamples,
                                 BootstrapMethod method, double confidence) {
  require_confidence(confidence);
  if (values.size() > kLongestSample)
    throw std::invalid_argument(
        fmt::format("bootstrap: at most {} values (one NumPy summation block), got {}",
                    kLongestSample, values.size()));
  for (const std::vector<int64_t>& row : resamples) {
    if (row.size() != values.size())
      throw std::invalid_argument(fmt::format("bootstrap: a resample of {} indices for {} values",
                                              row.size(), values.size()));
    for (const int64_t i : row)
      if (i < 0 || i >= static_cast<int64_t>(values.size()))
        throw std::invalid_argument(
            fmt::format("bootstrap: index {} outside the {} values", i, values.size()));
  }
  if (resamples.empty() || !resamplable(values)) return {kNaN, kNaN};
  std::vector<double> resampled;  // the mean of each resample
  resampled.reserve(resamples.size());
  std::vector<double> drawn(values.size());
  for (const std::vector<int64_t>& row : resamples) {
    for (std::size_t i = 0; i < row.size(); ++i)
      drawn[i] = values[static_cast<std::size_t>(row[i])];
    resampled.push_back(numpy_mean(drawn));
  }
  const double alpha = (1.0 - confidence) / 2.0;
  double low_level = alpha, high_level = 1.0 - alpha;
  if (method == BootstrapMethod::bca) {
    std::tie(low_level, high_level) = bca_levels(values, resampled, numpy_mean(values), alpha);
    if (std::isnan(low_level) || std::isnan(high_level)) return {kNaN, kNaN};
  }
  std::sort(resampled.begin(), resampled.end());
  // A float mean of equal values can pass them by an ulp: keep the ends within
  // the values' range, which the interval claims.
  // Named, not a structured binding: clang 14 cannot capture bindings in a lambda.
  const auto extremes = std::minmax_element(values.begin(), values.end());
  const double smallest = *extremes.first, largest = *extremes.second;
  const auto within = [&](double x) { return std::clamp(x, smallest, largest); };
  return {within(linear_quantile(resampled, low_level)),
          within(linear_quantile(resampled, high_level))};
}

Interval clopper_pearson(int64_t successes, int64_t trials, double confidence) {
  require_confidence(confidence);
  if (trials < 1 || successes < 0 || successes > trials) return {kNaN, kNaN};
  const double alpha = (1.0 - confidence) / 2.0;
  const auto k = static_cast<double>(successes), n = static_cast<double>(trials);
  const double low =
      successes == 0 ? 0.0
                     : boost::math::quantile(boost::math::beta_distribution<>(k, n - k + 1), alpha);
  const double high =
      successes == trials
          ? 1.0
          : boost::math::quantile(boost::math::beta_distribution<>(k + 1, n - k), 1.0 - alpha);
  return {low, high};
}

}  // namespace attnlab
