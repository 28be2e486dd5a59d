// Bootstrap and Clopper-Pearson intervals on cases known by hand;
// tests/stats/check_against_scipy.py compares them with SciPy.
#include <attnlab/stats/bounded_intervals.hpp>
#include <catch2/catch.hpp>
#include <cmath>

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

TEST_CASE("bootstrap: one value has no interval, equal values a point") {
  Rng rng(8);
  const auto rows = bootstrap_resamples(3, 100, rng);
  REQUIRE(std::isnan(bootstrap_mean_interval({0.5}, rows, BootstrapMethod::percentile).low));
  const Interval same = bootstrap_mean_interval({1.0, 1.0, 1.0}, rows, BootstrapMethod::bca);
  REQUIRE(same.low == 1.0);
  REQUIRE(same.high == 1.0);
  REQUIRE(
      std::isnan(bootstrap_mean_interval({1.0, NAN, 1.0}, rows, BootstrapMethod::percentile).low));
}
