// Every arm of an experiment against a baseline arm on one final figure, over
// seeds: the difference of means with its 95% interval (Welch), Welch's t-test
// and the Mann–Whitney rank test, each Holm-adjusted over the arms compared;
// and the learning-curve summaries (steps to reach a target, the figure at
// every evaluated length). docs/analysis.md shows the output.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/stats/hypothesis_tests.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab::analysis {

/// One arm's seeds on one figure.
struct ArmSample {
  std::string arm;
  std::vector<double> values;  // finished seeds holding a finite figure, in plan order
  int64_t planned = 0;         // seeds in the plan
  int64_t diverged = 0;        // finished seeds whose figure is NaN or infinite (left out)
  SampleSummary summary;
};

struct ArmComparison {
  ArmSample arm, baseline;
  MeanDifference difference;  // mean(arm) - mean(baseline), Welch interval
  WelchTest welch;
  MannWhitneyTest rank;
  double welch_holm = 0.0, rank_holm = 0.0;  // adjusted over every comparison of the table
  /// "higher" / "lower" when both Holm-adjusted p-values are below 0.05, "higher
  /// (Welch only)" and the like when one is, "no difference shown" otherwise.
  std::string verdict;
};

struct ComparisonTable {
  std::string figure;
  std::string baseline_choice;      // as asked: "KEY=VALUE" or an arm's label
  std::vector<ArmComparison> rows;  // in plan order
  std::vector<std::string> notes;   // what the numbers cannot say (too few seeds, ...)
};

/// Each arm against its baseline: the arm whose label is `baseline`, or, for
/// "KEY=VALUE", the arm with that ablation value that agrees with it on every
/// other axis (with one such arm, every arm is compared with it; keys zipped
/// with KEY, whose value always goes with KEY's, count as KEY). ConfigError
/// naming the choices when the figure or the baseline matches nothing.
ComparisonTable compare_arms(const ExperimentResults& results, const std::string& figure,
                             const std::string& baseline);

/// Steps each seed took to first reach `target` on `figure`'s curve (at or
/// above it; at or below for a loss), summarised per arm over the seeds that
/// reached it.
struct StepsToTarget {
  std::string arm;
  int64_t seeds = 0;    // finished seeds
  int64_t reached = 0;  // of them, those that reached the target by their last evaluation
  SampleSummary steps;  // over the seeds that reached it
  double median = 0.0;  // NaN if none did
};
std::vector<StepsToTarget> steps_to_target(const ExperimentResults& results,
                                           const std::string& figure, double target);

/// `figure` (e.g. eval_accuracy) at the training length and at every extra
/// evaluated length (eval_accuracy@L), per arm.
struct FigureByLength {
  std::vector<std::string> lengths;                 // "16" (the training length), "32", ...
  std::vector<std::string> arms;                    // plan order
  std::vector<std::vector<SampleSummary>> summary;  // [arm][length]
};
FigureByLength figure_by_length(const ExperimentResults& results, const std::string& figure);

}  // namespace attnlab::analysis
