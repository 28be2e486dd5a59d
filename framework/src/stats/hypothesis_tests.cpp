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

// Twice the midrank of every value (integers, so that an exact distribution
// can be counted), and the tie groups' sizes.
struct DoubledRanks {
  std::vector<int64_t> doubled;  // in the values' order
  std::vector<int64_t> tie_sizes;
};

DoubledRanks doubled_midranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  DoubledRanks ranks{std::vector<int64_t>(values.size()), {}};
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first;
    while (last + 1 < order.size() && values[order[last + 1]] == values[order[first]]) ++last;
    // ranks first+1 .. last+1 share their mean; doubled: first + last + 2
    for (std::size_t i = first; i <= last; ++i)
      ranks.doubled[order[i]] = static_cast<int64_t>(first + last + 2);
    ranks.tie_sizes.push_back(static_cast<int64_t>(last - first + 1));
    first = last + 1;
  }
  return ranks;
}

// Σ (t³ - t) over the tie groups: what ties take from a rank statistic's variance.
double tie_term(const std::vector<int64_t>& tie_sizes) {
  double sum = 0.0;
  for (const int64_t t : tie_sizes) {
    const auto size = static_cast<double>(t);
    sum += size * size * size - size;
  }
  return sum;
}

// 2 min(P(S <= observed), P(S >= observed)) from the counts of each value of
// S (both tails counted: with ties the distribution need not be symmetric).
double two_sided_from_counts(const std::vector<double>& ways, int64_t observed) {
  double at_most = 0.0, at_least = 0.0, all = 0.0;
  for (int64_t s = 0; s < static_cast<int64_t>(ways.size()); ++s) {
    all += ways[s];
    if (s <= observed) at_most += ways[s];
    if (s >= observed) at_least += ways[s];
  }
  return std::min(1.0, 2.0 * std::min(at_most, at_least) / all);
}

// The two-sided p of a's doubled rank sum `observed` when every n-subset of
// `doubled` is equally likely.
double exact_subset_p(const std::vector<int64_t>& doubled, std::size_t n, int64_t observed) {
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
  return two_sided_from_counts(ways[n], observed);
}

// The two-sided p of the doubled positive rank sum `observed` when each rank's
// sign is + or - with probability 1/2, independently.
double exact_sign_p(const std::vector<int64_t>& doubled, int64_t observed) {
  const int64_t total = std::accumulate(doubled.begin(), doubled.end(), int64_t{0});
  std::vector<double> ways(total + 1, 0.0);  // sign choices so far with positive sum s
  ways[0] = 1.0;
  for (const int64_t rank : doubled)
    for (int64_t s = total; s >= rank; --s) ways[s] += ways[s - rank];
  return two_sided_from_counts(ways, observed);
}

TTest t_test_of(double difference, double standard_error, double degrees_of_freedom) {
  if (standard_error == 0.0) {  // nothing varies: nothing to test against (a quantised
    // figure, e.g. accuracy on one fixed set, hits this with few seeds)
    if (difference == 0.0) return {0.0, degrees_of_freedom, 1.0};
    return {std::copysign(INFINITY, difference), degrees_of_freedom, kNaN};
  }
  const double t = difference / standard_error;
  const boost::math::students_t distribution(degrees_of_freedom);
  return {t, degrees_of_freedom,
          2.0 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)))};
}

}  // namespace

TTest welch_test(const std::vector<double>& a, const std::vector<double>& b) {
  const MeanDifference d = welch_difference(a, b);
  if (std::isnan(d.degrees_of_freedom)) return {kNaN, kNaN, kNaN};
  const SampleSummary x = summarize(a), y = summarize(b);
  return t_test_of(d.difference,
                   std::sqrt(x.std * x.std / static_cast<double>(x.count) +
                             y.std * y.std / static_cast<double>(y.count)),
                   d.degrees_of_freedom);
}

TTest paired_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  const SampleSummary d = summarize(pair_differences(a, b));
  if (std::isnan(d.std)) return {kNaN, kNaN, kNaN};
  const auto n = static_cast<double>(d.count);
  return t_test_of(d.mean, d.std / std::sqrt(n), n - 1.0);
}

RankTest mann_whitney_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty() || !all_finite(a) || !all_finite(b))
    return {kNaN, kNaN, kNaN, false, 0};
  const auto ranked = static_cast<int64_t>(a.size() + b.size());
  std::vector<double> pooled(a);
  pooled.insert(pooled.end(), b.begin(), b.end());
  const DoubledRanks ranks = doubled_midranks(pooled);  // a's values first
  const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const int64_t doubled_sum_a =
      std::accumulate(ranks.doubled.begin(), ranks.doubled.begin() + a.size(), int64_t{0});
  const double u = static_cast<double>(doubled_sum_a) / 2.0 - na * (na + 1.0) / 2.0;
  const double middle = na * nb / 2.0;
  if (a.size() + b.size() <= kExactRankTestLimit)
    return {u, middle, exact_subset_p(ranks.doubled, a.size(), doubled_sum_a), true, ranked};
  const double n = na + nb;
  const double sigma =
      std::sqrt(na * nb / 12.0 * ((n + 1.0) - tie_term(ranks.tie_sizes) / (n * (n - 1.0))));
  if (sigma == 0.0) return {u, middle, 1.0, false, ranked};  // every value tied
  const double z = (std::max(u, na * nb - u) - middle - 0.5) / sigma;
  const boost::math::normal standard;
  return {u, middle, std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(standard, z))),
          false, ranked};
}

RankTest signed_rank_test(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> all = pair_differences(a, b);
  if (all.empty() || !all_finite(all)) return {kNaN, kNaN, kNaN, false, 0};
  std::vector<double> nonzero, sizes;
  for (const double d : all)
    if (d != 0.0) {
      nonzero.push_back(d);
      sizes.push_back(std::fabs(d));
    }
  const bool exact = nonzero.size() <= kExactRankTestLimit;
  if (nonzero.empty()) return {0.0, 0.0, 1.0, exact, 0};  // every pair equal
  const auto ranked = static_cast<int64_t>(nonzero.size());
  const DoubledRanks ranks = doubled_midranks(sizes);
  int64_t doubled_positive = 0;
  for (std::size_t i = 0; i < nonzero.size(); ++i)
    if (nonzero[i] > 0.0) doubled_positive += ranks.doubled[i];
  const auto n = static_cast<double>(nonzero.size());
  const double w = static_cast<double>(doubled_positive) / 2.0, middle = n * (n + 1.0) / 4.0;
  if (exact) return {w, middle, exact_sign_p(ranks.doubled, doubled_positive), true, ranked};
  const double sigma =
      std::sqrt(n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_term(ranks.tie_sizes) / 48.0);
  if (w == middle) return {w, middle, 1.0, false, ranked};
  const double z = (std::fabs(w - middle) - 0.5) / sigma;
  const boost::math::normal standard;
  return {w, middle,
          std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(standard, std::fabs(z)))),
          false, ranked};
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
