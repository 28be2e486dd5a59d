// Two-sample and paired tests for comparing an ablation's arms over seeds, and the Holm
// correction for testing several arms against one baseline. The distributions
// come from Boost.Math; tests/stats/ checks every figure against SciPy.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

/// A t-test's figures, two-sided.
struct TTest {
  double t = 0.0;
  double degrees_of_freedom = 0.0;
  double p = 0.0;
};

/// Welch's t-test of mean(a) == mean(b) (unequal variances): t = (mean(a) -
/// mean(b)) / sqrt(s_a²/n_a + s_b²/n_b), Welch–Satterthwaite degrees of freedom.
/// NaN figures when either sample has fewer than two values or a value that is
/// not finite. When neither sample varies, p is 1 for equal means and NaN for
/// different ones (t is ±inf: the test has no spread to measure against; two
/// seeds at 1.0 against two at 0.999 prove nothing).
TTest welch_test(const std::vector<double>& a, const std::vector<double>& b);

/// The paired t-test of mean(a[i] - b[i]) == 0 over pairs (a and b of one
/// length): t = mean(d) / (s_d / sqrt(n)) with n - 1 degrees of freedom. For
/// arms trained on one seed each, which share that seed's data and evaluation
/// windows, it removes what the seed does to both. NaN figures below two pairs
/// or for a value that is not finite; when the differences do not vary, p is 1
/// if they are all 0 and NaN otherwise, as above.
TTest paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

/// A rank test's figures, two-sided.
struct RankTest {
  double statistic = 0.0;  // Mann–Whitney: U of a; signed-rank: W+, the ranks of a[i] > b[i]
  double null_mean = 0.0;  // the statistic's mean when nothing differs: above it, a ranks higher
  double p = 0.0;
  bool exact = false;  // the exact permutation distribution of the ranks (ties kept as
                       // midranks); otherwise the normal approximation with the tie
                       // correction and a continuity correction of 1/2
  int64_t ranked = 0;  // the values ranked: Mann–Whitney, both samples; signed-rank, the
                       // pairs whose difference is not 0
};

/// The Mann–Whitney U test (Wilcoxon rank-sum) of "a and b come from one
/// distribution": p = min(1, 2 min(P(U <= U_a), P(U >= U_a))). A rank test,
/// so one diverged seed moves it by one rank, not by its size. Exact whenever
/// the two samples hold at most `kExactRankTestLimit` values together (seeds
/// rarely exceed that), the normal approximation beyond. NaN figures when
/// either sample is empty or holds a value that is not finite.
inline constexpr std::size_t kExactRankTestLimit = 60;
RankTest mann_whitney_test(const std::vector<double>& a, const std::vector<double>& b);

/// The Wilcoxon signed-rank test of "a[i] - b[i] is symmetric about 0" over
/// pairs: the differences that are 0 are dropped (Wilcoxon's rule, SciPy's
/// default), the rest ranked by size (midranks for ties), and W+ is the sum of
/// the positive ones' ranks; p = min(1, 2 min(P(W <= W+), P(W >= W+))) over the
/// 2^n equally likely signs of the n differences that are not 0, exact up to
/// `kExactRankTestLimit` of them. p cannot fall below 2 / 2^n: 0.0625 with 5
/// seeds that all differ. p is 1 when every difference is 0; NaN figures
/// without pairs or for a value that is not finite.
RankTest signed_rank_test(const std::vector<double>& a, const std::vector<double>& b);

/// Holm's step-down adjustment of p-values for testing them together: the
/// i-th smallest of m becomes max over j <= i of min(1, (m - j + 1) p_(j)).
/// Controls the family-wise error rate without assuming independence. NaN
/// values are left NaN and do not count in m.
std::vector<double> holm_adjusted(const std::vector<double>& p_values);

}  // namespace attnlab
