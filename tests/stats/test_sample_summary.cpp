// Seed summaries: mean, sample standard deviation and a Student-t confidence
// interval, checked against published quantiles of the t distribution.
#include <attnlab/stats/sample_summary.hpp>
#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;

TEST_CASE("the 95% interval is mean +- t(0.975, n-1) s / sqrt(n)") {
  // t(0.975, 4) = 2.776445105 (any table of the t distribution).
  const SampleSummary five = summarize({1, 2, 3, 4, 5});
  REQUIRE(five.count == 5);
  REQUIRE(five.mean == Approx(3.0));
  REQUIRE(five.std == Approx(std::sqrt(2.5)));
  const double half = 2.776445105 * std::sqrt(2.5) / std::sqrt(5.0);
  REQUIRE(five.ci_low == Approx(3.0 - half).epsilon(1e-8));
  REQUIRE(five.ci_high == Approx(3.0 + half).epsilon(1e-8));
  // t(0.975, 1) = 12.70620474: two seeds give a wide interval, as they should.
  const SampleSummary two = summarize({0.9, 0.95});
  REQUIRE(two.ci_high - two.ci_low ==
          Approx(2 * 12.70620474 * two.std / std::sqrt(2.0)).epsilon(1e-8));
  // t(0.95, 5) = 2.015048373 for a 90% interval.
  const SampleSummary ninety = summarize({0.5, 0.52, 0.49, 0.51, 0.5, 0.48}, 0.90);
  REQUIRE(ninety.ci_high - ninety.mean ==
          Approx(2.015048373 * ninety.std / std::sqrt(6.0)).epsilon(1e-8));
}

TEST_CASE("too few or non-finite values give NaN rather than a made-up interval") {
  const SampleSummary none = summarize({});
  REQUIRE(none.count == 0);
  REQUIRE(std::isnan(none.mean));
  const SampleSummary one = summarize({0.7});
  REQUIRE(one.mean == Approx(0.7));
  REQUIRE(std::isnan(one.std));
  REQUIRE(std::isnan(one.ci_low));
  const SampleSummary diverged = summarize({0.7, NAN, 0.8});
  REQUIRE(std::isnan(diverged.mean));
  REQUIRE(std::isnan(diverged.ci_high));
  const SampleSummary same = summarize({0.5, 0.5, 0.5});
  REQUIRE(same.ci_low == 0.5);  // no spread: the interval is the point
  REQUIRE(same.ci_high == 0.5);
}

TEST_CASE("Welch's interval for a difference of means") {
  // Equal sizes and variances: Welch's degrees of freedom are 2n - 2 = 4.
  const MeanDifference d = welch_difference({1, 2, 3}, {4, 5, 6});
  REQUIRE(d.difference == Approx(-3.0));
  REQUIRE(d.degrees_of_freedom == Approx(4.0));
  const double half = 2.776445105 * std::sqrt(2.0 / 3.0);  // t(0.975, 4) sqrt(1/3 + 1/3)
  REQUIRE(d.ci_low == Approx(-3.0 - half).epsilon(1e-8));
  REQUIRE(d.ci_high == Approx(-3.0 + half).epsilon(1e-8));
  // Unequal sizes and variances: Welch-Satterthwaite, computed independently (torch, float64).
  const MeanDifference u =
      welch_difference({0.9, 0.95, 0.97, 0.92, 0.99}, {0.3, 0.35, 0.28, 0.31, 0.33, 0.29});
  REQUIRE(u.difference == Approx(0.636));
  REQUIRE(u.degrees_of_freedom == Approx(7.103098381426168).epsilon(1e-10));
  // 7.1 degrees of freedom: t(0.975, 8) = 2.306004 < the quantile < t(0.975, 7) = 2.364624.
  REQUIRE(u.ci_high - u.difference > 2.306004 * 0.019476481543988712);
  REQUIRE(u.ci_high - u.difference < 2.364624 * 0.019476481543988712);
  // Neither varies: the difference is exact; too few values: no interval.
  const MeanDifference exact = welch_difference({1, 1, 1}, {0, 0});
  REQUIRE(exact.ci_low == 1.0);
  REQUIRE(exact.ci_high == 1.0);
  REQUIRE(std::isnan(welch_difference({1}, {0, 0}).ci_low));
}
