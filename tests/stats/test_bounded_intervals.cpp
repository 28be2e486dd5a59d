// Bootstrap and Clopper-Pearson intervals on cases known by hand;
// tests/stats/check_against_scipy.py compares them with SciPy.
#include <attnlab/stats/bounded_intervals.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

using namespace attnlab;

TEST_CASE("Clopper-Pearson: none or all of n solved have closed forms") {
  // 0 of n: [0, 1 - (alpha/2)^(1/n)]; n of n: [(alpha/2)^(1/n), 1].
  const Interval none = clopper_pearson(0, 5), all = clopper_pearson(5, 5);
  REQUIRE(none.low == 0.0);
  REQUIRE(none.high == Approx(1.0 - std::pow(0.025, 0.2)));
  REQUIRE(all.low == Approx(std::pow(0.025, 0.2)));
  REQUIRE(all.high == 1.0);
  const Interval some = clopper_pearson(3, 5);
  REQUIRE((some.low > 0.0 && some.low < 0.6 && some.high > 0.6 && some.high < 1.0));
  REQUIRE(std::isnan(clopper_pearson(6, 5).low));
  REQUIRE(std::isnan(clopper_pearson(0, 0).high));
}

TEST_CASE("bootstrap: a bimodal arm's interval stays within its values, where t's does not") {
  const std::vector<double> seeds{1.0, 1.0, 0.55, 0.99, 0.96};  // one seed did not solve it
  Rng rng(7);
  const auto rows = bootstrap_resamples(5, 2000, rng);
  REQUIRE(rows.size() == 2000);
  for (const auto& row : rows)
    for (const int64_t i : row) REQUIRE((i >= 0 && i < 5));
  for (const BootstrapMethod method : {BootstrapMethod::percentile, BootstrapMethod::bca}) {
    const Interval ci = bootstrap_mean_interval(seeds, rows, method);
    INFO("method " << static_cast<int>(method));
    REQUIRE(ci.low >= 0.55);
    REQUIRE(ci.high <= 1.0);
    REQUIRE(ci.low < 0.9);  // the mean, 0.9, inside
    REQUIRE(ci.high > 0.9);
  }
  Rng again(7);
  REQUIRE(bootstrap_resamples(5, 2000, again) == rows);  // a fixed seed, a fixed interval
}

TEST_CASE("bootstrap: no interval from one value, equal values or a value not finite") {
  Rng rng(8);
  const auto rows = bootstrap_resamples(3, 100, rng);
  const auto one = bootstrap_resamples(1, 100, rng);
  REQUIRE(std::isnan(bootstrap_mean_interval({0.5}, one, BootstrapMethod::percentile).low));
  REQUIRE(std::isnan(bootstrap_mean_interval({1.0, 1.0, 1.0}, rows, BootstrapMethod::bca).low));
  REQUIRE(
      std::isnan(bootstrap_mean_interval({1.0, NAN, 1.0}, rows, BootstrapMethod::percentile).low));
}

TEST_CASE("bootstrap: the interval stays within the values even where a float mean does not") {
  // Five 0.81s average to 0.8100000000000002 in floating point.
  const std::vector<double> seeds{0.81, 0.81, 0.81, 0.81, 0.3};
  Rng rng(9);
  const auto rows = bootstrap_resamples(5, 2000, rng);
  for (const BootstrapMethod method : {BootstrapMethod::percentile, BootstrapMethod::bca}) {
    const Interval ci = bootstrap_mean_interval(seeds, rows, method);
    REQUIRE(ci.high <= 0.81);
    REQUIRE(ci.low >= 0.3);
  }
}

TEST_CASE("bootstrap and Clopper-Pearson refuse malformed input") {
  Rng rng(10);
  const auto rows = bootstrap_resamples(3, 10, rng);
  const std::vector<double> values{0.1, 0.2, 0.3};
  REQUIRE_THROWS_AS(bootstrap_mean_interval({0.1, 0.2}, rows, BootstrapMethod::percentile),
                    std::invalid_argument);  // rows of 3 indices for 2 values
  REQUIRE_THROWS_AS(bootstrap_mean_interval(values, {{0, 1, 3}}, BootstrapMethod::percentile),
                    std::invalid_argument);  // index 3 of 3 values
  REQUIRE_THROWS_AS(bootstrap_mean_interval(values, rows, BootstrapMethod::percentile, 1.0),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(
      bootstrap_mean_interval(std::vector<double>(129, 0.5), bootstrap_resamples(129, 1, rng),
                              BootstrapMethod::percentile),
      std::invalid_argument);
  REQUIRE_THROWS_AS(bootstrap_resamples(0, 10, rng), std::invalid_argument);
  REQUIRE_THROWS_AS(bootstrap_resamples(3, -1, rng), std::invalid_argument);
  REQUIRE_THROWS_AS(clopper_pearson(1, 2, -0.5), std::invalid_argument);
}
