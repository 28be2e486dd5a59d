// Reads test cases from stdin and prints attnlab's statistics for each, for
// check_against_scipy.py to compare with SciPy. Input lines:
//   pair A1 A2 ... | B1 B2 ...   -> "welch_t df welch_p mw_u mw_p exact ci_low ci_high"
//   paired A1 ... An | B1 ... Bn -> "t df p w_plus p exact ci_low ci_high" (paired t, the
//                                   signed-rank test and the paired interval)
//   holm P1 P2 ...               -> the adjusted p-values
//   bootstrap V1 ... Vn | I ...  -> "percentile_low percentile_high bca_low bca_high" from
//                                   the resamples I (rows of n indices, flattened)
//   binomial K N                 -> "low high", the Clopper-Pearson 95% interval
//   seed V1 ... Vn               -> "low high tail", the interval tables show (seed_mean_interval)
//                                   and its expanded tail
#include <fmt/format.h>

#include <attnlab/stats/bounded_intervals.hpp>
#include <attnlab/stats/hypothesis_tests.hpp>
#include <attnlab/stats/sample_summary.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

void print_tests(const attnlab::TTest& t, const attnlab::RankTest& rank,
                 const attnlab::MeanDifference& difference) {
  fmt::print("{:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {} {:.17g} {:.17g}\n", t.t,
             t.degrees_of_freedom, t.p, rank.statistic, rank.p, rank.exact ? 1 : 0,
             difference.ci_low, difference.ci_high);
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string kind, word;
    in >> kind;
    std::vector<double> a, b;
    bool second = false;
    while (in >> word) {
      if (word == "|") {
        second = true;
        continue;
      }
      (second ? b : a).push_back(std::stod(word));
    }
    if (kind == "bootstrap") {
      if (a.empty() || b.size() % a.size() != 0) {
        fmt::print(stderr, "bootstrap: {} indices are not rows of {} values\n", b.size(), a.size());
        return 2;
      }
      std::vector<std::vector<int64_t>> rows;
      for (std::size_t i = 0; i < b.size(); i += a.size()) {
        rows.emplace_back();
        for (std::size_t j = 0; j < a.size(); ++j)
          rows.back().push_back(static_cast<int64_t>(b[i + j]));
      }
      const auto percentile =
          attnlab::bootstrap_mean_interval(a, rows, attnlab::BootstrapMethod::percentile);
      const auto bca = attnlab::bootstrap_mean_interval(a, rows, attnlab::BootstrapMethod::bca);
      fmt::print("{:.17g} {:.17g} {:.17g} {:.17g}\n", percentile.low, percentile.high, bca.low,
                 bca.high);
      continue;
    }
    if (kind == "seed") {
      const auto ci = attnlab::seed_mean_interval(a);
      fmt::print("{:.17g} {:.17g} {:.17g}\n", ci.low, ci.high,
                 attnlab::expanded_tail(static_cast<int64_t>(a.size())));
      continue;
    }
    if (kind == "binomial") {
      const auto ci =
          attnlab::clopper_pearson(static_cast<int64_t>(a.at(0)), static_cast<int64_t>(a.at(1)));
      fmt::print("{:.17g} {:.17g}\n", ci.low, ci.high);
      continue;
    }
    if (kind == "holm") {
      for (const double p : attnlab::holm_adjusted(a)) fmt::print("{:.17g} ", p);
      fmt::print("\n");
      continue;
    }
    if (kind == "paired")
      print_tests(attnlab::paired_t_test(a, b), attnlab::signed_rank_test(a, b),
                  attnlab::paired_difference(a, b));
    else
      print_tests(attnlab::welch_test(a, b), attnlab::mann_whitney_test(a, b),
                  attnlab::welch_difference(a, b));
  }
}
