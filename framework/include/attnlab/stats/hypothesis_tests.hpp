// Two-sample tests for comparing an ablation's arms over seeds, and the Holm
// correction for testing several arms against one baseline. The distributions
// come from Boost.Math; tests/stats/ checks every figure against SciPy.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

/// Welch's t-test of mean(a) == mean(b) (unequal variances), two-sided.
struct WelchTest {
  double t = 0.0;                   // (mean(a) - mean(b)) / sqrt(s_a²/n_a + s_b²/n_b)
  double degrees_of_freedom = 0.0;  // Welch–Satterthwaite
  double p = 0.0;                   // two-sided
};
/// NaN figures when either sample has fewer than two values or a value that is
/// not finite. When neither sample varies, p is 1 for equal means and NaN for
/// different ones (t is ±inf: the test has no spread to measure against; two
/// seeds at 1.0 against two at 0.999 prove nothing).
WelchTest welch_test(const std::vector<double>& a, const std::vector<double>& b);

/// The Mann–Whitney U test (Wilcoxon rank-sum) of "a and b come from one
/// distribution", two-sided: p = min(1, 2 min(P(U <= U_a), P(U >= U_a))). A
/// rank test, so one diverged seed moves it by one rank, not by its size.
struct MannWhitneyTest {
  double u = 0.0;      // U of a: pairs (x in a, y in b) with x > y, ties counting one half
  double p = 0.0;      // two-sided
  bool exact = false;  // exact permutation distribution of the ranks (ties kept as
                       // midranks); otherwise the normal approximation with the tie
                       // correction and a continuity correction of 1/2
};
/// Exact whenever the two samples hold at most `kExactRankTestLimit` values
/// together (seeds rarely exceed that), the normal approximation beyond. NaN
/// figures when either sample is empty or holds a value that is not finite.
inline constexpr std::size_t kExactRankTestLimit = 60;
MannWhitneyTest mann_whitney_test(const std::vector<double>& a, const std::vector<double>& b);

/// Holm's step-down adjustment of p-values for testing them together: the
/// i-th smallest of m becomes max over j <= i of min(1, (m - j + 1) p_(j)).
/// Controls the family-wise error rate without assuming independence. NaN
/// values are left NaN and do not count in m.
std::vector<double> holm_adjusted(const std::vector<double>& p_values);

}  // namespace attnlab
