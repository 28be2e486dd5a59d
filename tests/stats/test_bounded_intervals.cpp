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

namespace {

// Every one of the n^n resamples of n values, each once.
std::vector<std::vector<int64_t>> every_resample(int64_t n) {
  std::vector<std::vector<int64_t>> rows{{}};
  for (int64_t position = 0; position < n; ++position) {
    std::vector<std::vector<int64_t>> longer;
    for (const auto& row : rows)
      for (int64_t i = 0; i < n; ++i) {
        longer.push_back(row);
        longer.back().push_back(i);
      }
    rows = std::move(longer);
  }
  return rows;
}

}  // namespace

TEST_CASE("seed interval: the expanded percentile of every resample, within the values") {
  // Hesterberg's tail at 5 values: Phi(sqrt(5/4) t_{0.025, 4}) = Phi(-3.1037...).
  REQUIRE(expanded_tail(5) == Approx(0.0009541005518824686).epsilon(1e-9));
  REQUIRE(expanded_tail(1000) ==
          Approx(0.025).epsilon(0.01));  // the plain percentile's, in the limit
  REQUIRE(std::isnan(expanded_tail(1)));
  for (const std::vector<double>& values :
       {std::vector<double>{0.2, 0.9, 0.4, 0.7, 0.61}, std::vector<double>{3.0, 1.0, 2.0},
        std::vector<double>{0.5, 0.25, 1.0, 1.0, 0.75, 0.0}}) {
    const auto n = static_cast<int64_t>(values.size());
    const double tail = expanded_tail(n);
    const Interval enumerated = bootstrap_mean_interval(values, every_resample(n),
                                                        BootstrapMethod::percentile, 1 - 2 * tail);
    const Interval ideal = seed_mean_interval(values);
    INFO(n << " values");
    REQUIRE(ideal.low == Approx(enumerated.low).epsilon(1e-12));
    REQUIRE(ideal.high == Approx(enumerated.high).epsilon(1e-12));
  }
  // Four seeds solved, one did not: the means of the 3125 resamples are k/5; 0 once, 0.2 in 20.
  const Interval bimodal = seed_mean_interval({1, 1, 1, 1, 0});
  REQUIRE(bimodal.low == Approx(0.2).epsilon(1e-12));
  REQUIRE(bimodal.high == 1.0);
  REQUIRE(std::isnan(seed_mean_interval({0.7, 0.7, 0.7}).low));
  REQUIRE(std::isnan(seed_mean_interval({0.7}).low));
  REQUIRE(std::isnan(seed_mean_interval({0.7, NAN}).high));
}

TEST_CASE("seed interval: beyond 9 seeds, drawn resamples seeded by the values themselves") {
  std::vector<double> seeds;
  for (int i = 0; i < 12; ++i) seeds.push_back(i % 3 == 0 ? 0.0 : 0.5 + 0.04 * i);
  const Interval once = seed_mean_interval(seeds), again = seed_mean_interval(seeds);
  REQUIRE(once.low == again.low);  // no hidden state: the same values, the same interval
  REQUIRE(once.high == again.high);
  REQUIRE(once.low >= 0.0);
  REQUIRE(once.high <= 0.94);
  double mean = 0;
  for (const double v : seeds) mean += v / 12;
  REQUIRE((once.low < mean && mean < once.high));
  std::vector<double> moved = seeds;
  moved.back() += 1e-9;  // other values, other resamples: nearly the same interval
  REQUIRE(seed_mean_interval(moved).low == Approx(once.low).margin(0.05));
  std::vector<double> too_many(129, 0.5);
  too_many.front() = 0.4;
  REQUIRE(std::isnan(seed_mean_interval(too_many).low));  // never throws from a summary
}
