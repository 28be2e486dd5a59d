// Reads test cases from stdin and prints attnlab's statistics for each, for
// check_against_scipy.py to compare with SciPy. Input lines:
//   pair A1 A2 ... | B1 B2 ...   -> "welch_t df welch_p mw_u mw_p exact ci_low ci_high"
//   holm P1 P2 ...               -> the adjusted p-values
#include <fmt/format.h>

#include <attnlab/stats/hypothesis_tests.hpp>
#include <attnlab/stats/sample_summary.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

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
    if (kind == "holm") {
      for (const double p : attnlab::holm_adjusted(a)) fmt::print("{:.17g} ", p);
      fmt::print("\n");
      continue;
    }
    const attnlab::WelchTest welch = attnlab::welch_test(a, b);
    const attnlab::MannWhitneyTest rank = attnlab::mann_whitney_test(a, b);
    const attnlab::MeanDifference difference = attnlab::welch_difference(a, b);
    fmt::print("{:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {} {:.17g} {:.17g}\n", welch.t,
               welch.degrees_of_freedom, welch.p, rank.u, rank.p, rank.exact ? 1 : 0,
               difference.ci_low, difference.ci_high);
  }
}
