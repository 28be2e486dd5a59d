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
