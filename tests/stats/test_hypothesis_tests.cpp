// Welch's t-test, the Mann-Whitney U test and Holm's correction on cases whose
// answers are known by hand; tests/stats/check_against_scipy.py compares many
// more cases with SciPy.
#include <attnlab/stats/hypothesis_tests.hpp>
#include <attnlab/stats/sample_summary.hpp>
#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;

TEST_CASE("Mann-Whitney: complete separation of 3 and 3 has exact p = 2/20") {
  // Of the C(6,3) = 20 equally likely rank sets, only {4,5,6} is as extreme on one side.
  const RankTest separated = mann_whitney_test({4, 5, 6}, {1, 2, 3});
  REQUIRE(separated.exact);
  REQUIRE(separated.statistic == 9.0);
  REQUIRE(separated.p == Approx(0.1));
  REQUIRE(mann_whitney_test({1, 2, 3}, {4, 5, 6}).statistic == 0.0);
  REQUIRE(mann_whitney_test({1, 2, 3}, {4, 5, 6}).p == Approx(0.1));
  // Interleaved: U_a = 3 of 9. U of 3 and 3 takes 0..9 in 1,1,2,3,3,3,3,2,1,1 of 20
  // ways, so P(U <= 3) = 7/20 and p = 0.7.
  REQUIRE(mann_whitney_test({1, 3, 5}, {2, 4, 6}).statistic == 3.0);
  REQUIRE(mann_whitney_test({1, 3, 5}, {2, 4, 6}).p == Approx(0.7));
}

TEST_CASE("Mann-Whitney: ties are midranks and the exact distribution keeps them") {
  // a = {1, 1}, b = {1, 2}: midranks 2, 2 | 2, 4, so U_a = 4 - 3 = 1 (a's ones tie b's
  // one, a half each). Of the six 2-subsets of the midranks {2, 2, 2, 4}, three sum to 4
  // (U = 1) and three to 6 (U = 3): P(U <= 1) = 1/2 and p = 1.
  const RankTest tied = mann_whitney_test({1, 1}, {1, 2});
  REQUIRE(tied.exact);
  REQUIRE(tied.statistic == 1.0);
  REQUIRE(tied.p == Approx(1.0));
  const RankTest all_tied = mann_whitney_test({1, 1, 1}, {1, 1});
  REQUIRE(all_tied.statistic == 3.0);
  REQUIRE(all_tied.p == 1.0);
}

TEST_CASE("Mann-Whitney: one wild seed moves a rank test by one rank, not by its size") {
  const std::vector<double> baseline{0.91, 0.92, 0.93, 0.94, 0.95};
  const double mild = mann_whitney_test({0.96, 0.97, 0.98, 0.99, 0.90}, baseline).p;
  const double wild = mann_whitney_test({0.96, 0.97, 0.98, 0.99, -50.0}, baseline).p;
  REQUIRE(mild == wild);
  REQUIRE(welch_test({0.96, 0.97, 0.98, 0.99, 0.90}, baseline).p !=
          Approx(welch_test({0.96, 0.97, 0.98, 0.99, -50.0}, baseline).p));
}

TEST_CASE("Mann-Whitney: large samples use the normal approximation") {
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i + 0.5);
    b.push_back(i);
  }
  const RankTest large = mann_whitney_test(a, b);
  REQUIRE_FALSE(large.exact);
  REQUIRE(large.p > 0.5);
  REQUIRE(large.p <= 1.0);
}

TEST_CASE("Welch: a known case, and degenerate samples") {
  // a = {1,2,3,4,5}, b = {2,4,6,8,10}: means 3 and 6, variances 2.5 and 10, t = -3 /
  // sqrt(0.5 + 2) = -1.897367, df = 2.5^2 / (0.25/4 + 4/4) = 5.882353.
  const TTest known = welch_test({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
  REQUIRE(known.t == Approx(-1.8973666));
  REQUIRE(known.degrees_of_freedom == Approx(5.8823529));
  REQUIRE(known.p > 0.05);
  REQUIRE(known.p < 0.2);
  REQUIRE(welch_test({1, 1}, {1, 1}).p == 1.0);
  REQUIRE(std::isnan(welch_test({1, 1}, {2, 2}).p));  // no spread: untestable, not certain
  REQUIRE(std::isnan(welch_test({1}, {1, 2}).p));
  REQUIRE(std::isnan(welch_test({1, NAN}, {1, 2}).p));
  REQUIRE(std::isnan(mann_whitney_test({}, {1, 2}).p));
  REQUIRE(std::isnan(mann_whitney_test({INFINITY}, {1, 2}).p));
}

TEST_CASE("Holm: the step-down adjustment, monotone and capped at 1") {
  // p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005, 0.01, 0.03, 0.04 scale by 4, 3, 2, 1
  // to 0.02, 0.03, 0.06, 0.04 -> running maximum 0.02, 0.03, 0.06, 0.06.
  const std::vector<double> adjusted = holm_adjusted({0.01, 0.04, 0.03, 0.005});
  REQUIRE(adjusted[3] == Approx(0.02));
  REQUIRE(adjusted[0] == Approx(0.03));
  REQUIRE(adjusted[2] == Approx(0.06));
  REQUIRE(adjusted[1] == Approx(0.06));
  const std::vector<double> capped = holm_adjusted({0.6, NAN, 0.4});
  REQUIRE(capped[2] == Approx(0.8));
  REQUIRE(capped[0] == Approx(0.8));
  REQUIRE(std::isnan(capped[1]));
  REQUIRE(holm_adjusted({0.3}) == std::vector<double>{0.3});
}

TEST_CASE("Mann-Whitney: U says which sample ranks higher, whatever the means say") {
  // Nine seeds at 0.60 and one diverged at 0.0 against ten at 0.55: the mean is lower,
  // but 90 of the 100 pairs rank the arm higher.
  std::vector<double> arm(9, 0.60), baseline(10, 0.55);
  arm.push_back(0.0);
  const RankTest rank = mann_whitney_test(arm, baseline);
  REQUIRE(rank.statistic == 90.0);
  REQUIRE(rank.p < 0.001);
  REQUIRE(welch_test(arm, baseline).p > 0.5);
}

TEST_CASE("Signed-rank: every sign pattern counted, the floor 2 / 2^n, zeros dropped") {
  // Five pairs all higher: W+ = 15 of 15, and only one of the 2^5 = 32 sign patterns
  // is as extreme on that side, so p = 2/32 = 0.0625: five seeds cannot reach 0.05.
  const RankTest all_higher = signed_rank_test({2, 3, 4, 5, 6}, {1, 1, 1, 1, 1});
  REQUIRE(all_higher.exact);
  REQUIRE(all_higher.statistic == 15.0);
  REQUIRE(all_higher.null_mean == 7.5);
  REQUIRE(all_higher.p == Approx(0.0625));
  REQUIRE(signed_rank_test({2, 3, 4, 5, 6, 7}, {1, 1, 1, 1, 1, 1}).p == Approx(2.0 / 64));
  // Differences 1, -2, 3 (ranks 1, 2, 3): W+ = 4. Sums over the 8 patterns: 0, 1, 2, 3,
  // 3, 4, 5, 6, so P(W <= 4) = 6/8, P(W >= 4) = 3/8 and p = 6/8.
  const RankTest mixed = signed_rank_test({1, 0, 3}, {0, 2, 0});
  REQUIRE(mixed.statistic == 4.0);
  REQUIRE(mixed.p == Approx(0.75));
  // A zero difference is dropped: the same as the three pairs alone.
  REQUIRE(signed_rank_test({1, 0, 3, 5}, {0, 2, 0, 5}).p == Approx(0.75));
  REQUIRE(signed_rank_test({1, 0, 3, 5}, {0, 2, 0, 5}).ranked == 3);
  REQUIRE(signed_rank_test({1, 2}, {1, 2}).p == 1.0);
  REQUIRE(std::isnan(signed_rank_test({}, {}).p));
  REQUIRE(std::isnan(signed_rank_test({1, NAN}, {1, 2}).p));
  REQUIRE_THROWS_AS(signed_rank_test({1, 2}, {1}), std::invalid_argument);
}

TEST_CASE("Paired t: a shared seed effect that Welch cannot see through") {
  // Each seed moves both arms alike (0.1 apart from seed to seed); the arm is 0.01 above
  // the baseline on every seed, give or take 0.001. Welch sees two overlapping samples;
  // the pairs see the same 0.01 five times.
  const std::vector<double> baseline{0.50, 0.60, 0.70, 0.80, 0.90};
  const std::vector<double> arm{0.511, 0.609, 0.710, 0.811, 0.909};
  REQUIRE(welch_test(arm, baseline).p > 0.8);
  const TTest paired = paired_t_test(arm, baseline);
  REQUIRE(paired.degrees_of_freedom == 4.0);
  REQUIRE(paired.p < 1e-4);
  // d = 0.011, 0.009, 0.010, 0.011, 0.009: mean 0.01, s = 0.001, t = 0.01 / (0.001 / √5).
  REQUIRE(paired.t == Approx(0.01 / (0.001 / std::sqrt(5.0))).epsilon(1e-6));
  const MeanDifference d = paired_difference(arm, baseline);
  REQUIRE(d.difference == Approx(0.01));
  REQUIRE(d.ci_low > 0.008);
  REQUIRE(d.ci_high < 0.012);
  REQUIRE(paired_t_test({1, 2}, {1, 2}).p == 1.0);
  REQUIRE(std::isnan(paired_t_test({2, 3}, {1, 2}).p));  // a constant shift: no spread
  REQUIRE(std::isnan(paired_t_test({1}, {2}).p));
}
