#include "attnlab/stats/hypothesis_tests.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "attnlab/stats/sample_summary.hpp"

namespace attnlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// Twice the midrank of every value of a then b in the pooled sample (integers,
// so that the exact distribution can be counted), and the tie groups' sizes.
struct PooledRanks {
  std::vector<int64_t> doubled;  // a's values first, then b's
  std::vector<int64_t> tie_sizes;
};

PooledRanks pooled_ranks(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  std::vector<std::size_t> order(pooled.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return pooled[i] < pooled[j]; });
  PooledRanks ranks{std::vector<int64_t>(pooled.size()), {}};
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first;
    while (last + 1 < order.size() && pooled[order[last + 1]] == pooled[order[first]]) ++last;
    // ranks first+1 .. last+1 share their mean; doubled: first + last + 2
    for (std::size_t i = first; i <= last; ++i)
      ranks.doubled[order[i]] = static_cast<int64_t>(first + last + 2);
    ranks.tie_sizes.push_back(static_cast<int64_t>(last - first + 1));
    first = last + 1;
  }
  return ranks;
}

// The two-sided p of a's doubled rank sum `observed` under its permutation
// distribution (every n-subset of `doubled` equally likely), counted exactly:
// 2 min(P(S <= observed), P(S >= observed)). With ties that distribution need
// not be symmetric, so both tails are counted.
double exact_two_sided(const std::vector<int64_t>& doubled, std::size_t n, int64_t observed) {
  const int64_t total = std::accumulate(doubled.begin(), doubled.end(), int64_t{0});
  // ways[k][s]: subsets of k of the values seen so far with doubled rank sum s
  std::vector<std::vector<double>> ways(n + 1, std::vector<double>(total + 1, 0.0));
  ways[0][0] = 1.0;
  std::size_t seen = 0;
  for (const int64_t rank : doubled) {
    ++seen;
    for (std::size_t k = std::min(n, seen); k >= 1; --k)
      for (int64_t s = total; s >= rank; --s) ways[k][s] += ways[k - 1][s - rank];
  }
  double at_most = 0.0, at_least = 0.0, all = 0.0;
  for (int64_t s = 0; s <= total; ++s) {
    all += ways[n][s];
    if (s <= observed) at_most += ways[n][s];
    if (s >= observed) at_least += ways[n][s];
  }
  return std::min(1.0, 2.0 * std::min(at_most, at_least) / all);
}

}  // namespace

WelchTest welch_test(const std::vector<double>& a, const std::vector<double>& b) {
  const MeanDifference d = welch_difference(a, b);
  if (std::isnan(d.degrees_of_freedom)) return {kNaN, kNaN, kNaN};
  const SampleSummary x = summarize(a), y = summarize(b);
  const double standard_error = std::sqrt(x.std * x.std / static_cast<double>(x.count) +
                                          y.std * y.std / static_cast<double>(y.count));
  if (standard_error == 0.0) {  // neither varies: nothing to test against (a quantised
    // figure, e.g. accuracy on one fixed set, hits this with few seeds)
    if (d.difference == 0.0) return {0.0, d.degrees_of_freedom, 1.0};
    return {std::copysign(INFINITY, d.difference), d.degrees_of_freedom, kNaN};
  }
  const double t = d.difference / standard_error;
  const boost::math::students_t distribution(d.degrees_of_freedom);
  return {t, d.degrees_of_freedom,
          2.0 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)))};
}

MannWhitneyTest mann_whitney_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty() || !all_finite(a) || !all_finite(b)) return {kNaN, kNaN, false};
  const PooledRanks ranks = pooled_ranks(a, b);
  const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const int64_t doubled_sum_a =
      std::accumulate(ranks.doubled.begin(), ranks.doubled.begin() + a.size(), int64_t{0});
  const double u = static_cast<double>(doubled_sum_a) / 2.0 - na * (na + 1.0) / 2.0;
  if (a.size() + b.size() <= kExactRankTestLimit)
    return {u, exact_two_sided(ranks.doubled, a.size(), doubled_sum_a), true};
  const double u_max = std::max(u, na * nb - u);
  const double n = na + nb;
  double ties = 0.0;
  for (const int64_t t : ranks.tie_sizes)
    ties += static_cast<double>(t) * static_cast<double>(t) * static_cast<double>(t) -
            static_cast<double>(t);
  const double sigma = std::sqrt(na * nb / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0))));
  if (sigma == 0.0) return {u, 1.0, false};  // every value tied: nothing tells them apart
  const double z = (u_max - na * nb / 2.0 - 0.5) / sigma;
  const boost::math::normal standard;
  return {u, std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(standard, z))), false};
}

std::vector<double> holm_adjusted(const std::vector<double>& p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i)
    if (!std::isnan(p_values[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return p_values[i] < p_values[j]; });
  std::vector<double> adjusted(p_values.size(), kNaN);
  double running = 0.0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    const double scaled = static_cast<double>(order.size() - rank) * p_values[order[rank]];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

}  // namespace attnlab
