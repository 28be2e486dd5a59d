// Every arm of an experiment against a baseline arm on one final figure, over
// seeds: each arm's mean with a 95% interval (bootstrap or t), optionally how
// many seeds solved it, and the difference with its 95% interval and two
// tests, each Holm-adjusted over the arms compared: unpaired, the difference
// of means (Welch), Welch's t-test and the Mann–Whitney rank test; paired by
// seed, the mean of the seeds' differences (paired t), the paired t-test and
// the Wilcoxon signed-rank test;
// and the learning-curve summaries (steps to reach a target, the figure at
// every evaluated length). docs/analysis.md shows the output.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/stats/bounded_intervals.hpp"
#include "attnlab/stats/hypothesis_tests.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab::analysis {

/// How many of an arm's finished seeds solved the task (reached a threshold),
/// with the Clopper–Pearson 95% interval of that share.
struct SolvedShare {
  int64_t solved = 0, seeds = 0;  // a diverged seed counts as not solved
  Interval interval;
};

/// One arm's seeds on one figure.
struct ArmSample {
  std::string arm;
  std::vector<double> values;  // finished seeds holding a finite figure, in plan order
  std::vector<int64_t> seeds;  // their seeds
  int64_t planned = 0;         // seeds in the plan
  int64_t diverged = 0;        // finished seeds whose figure is NaN or infinite (left out)
  SampleSummary summary;
  std::optional<SolvedShare> solved;  // with a threshold (compare --solved)
};

/// Which interval of an arm's mean a table shows: the bootstrap one within the
/// figure's range (SampleSummary::boot_low/high), or Student t.
enum class MeanInterval { bootstrap, t };

/// Unpaired: the arm's seeds and the baseline's as two samples. By seed: each
/// seed's figure in the arm less the same seed's in the baseline. Each random
/// stream is seeded by the seed and its purpose alone, so arms that agree on
/// the task, the batch and the evaluation draw the same batches and examples
/// under one seed, and what that draw does to both cancels in the difference.
enum class Pairing { unpaired, by_seed };

struct ArmComparison {
  ArmSample arm, baseline;
  /// Unpaired: mean(arm) - mean(baseline), Welch interval. By seed: the mean of
  /// the differences over the seeds both have, paired t interval.
  MeanDifference difference;
  TTest mean_test;                          // Welch's t-test, or the paired t-test
  RankTest rank;                            // Mann–Whitney, or the Wilcoxon signed-rank test
  int64_t pairs = 0;                        // by seed: the seeds both have a finite figure for
  double mean_holm = 0.0, rank_holm = 0.0;  // adjusted over every comparison of the table
  /// "higher" / "lower" when both Holm-adjusted p-values are below 0.05, "higher
  /// (Welch only)", "lower (signed-rank only)" and the like when one is, "no
  /// difference shown" otherwise.
  std::string verdict;
  /// Under tune:, the arm's or the baseline's selected value may still change (a
  /// selecting trial has not run, or failed), and the verdict with it.
  bool provisional = false;
};

/// How compare_arms compares: the interval of each arm's mean, the threshold
/// of the solved counts (if asked for), and unpaired or by seed.
struct ComparisonOptions {
  MeanInterval interval = MeanInterval::bootstrap;
  std::optional<double> solved_at;
  Pairing pairing = Pairing::unpaired;
};

/// What a pairing's difference and tests are called: in verdicts and notes
/// ("Welch", "rank test" | "paired t", "signed-rank"), on screen and as CSV and
/// JSON fields (never one field for two tests).
struct TestNames {
  std::string mean, rank;
  std::string difference_column, difference_field;  // "difference" | "paired difference"
  std::string mean_column, mean_field;              // "Welch p", "welch" | "paired t p", ...
  std::string rank_column, rank_field;              // "rank p", "rank" | "signed-rank p", ...
  std::string rank_mode_column;                     // how its p was had: "rank test" | ...
};
TestNames test_names(Pairing pairing);

struct ComparisonTable {
  std::string figure;
  MeanInterval interval = MeanInterval::bootstrap;
  std::optional<double> solved_at;  // the threshold of the solved counts, if asked for
  Pairing pairing = Pairing::unpaired;
  bool tuned = false;               // the experiment has tune: (rows say if provisional)
  std::string baseline_choice;      // as asked: "KEY=VALUE" or an arm's label
  std::vector<ArmComparison> rows;  // in plan order
  std::vector<std::string> notes;   // what the numbers cannot say (too few seeds, ...)
};

/// Under tune:, every function here reads each arm's trials at its selected
/// value only (ExperimentResults::trials), and compare_arms's notes name it.
///
/// Each arm against its baseline: the arm whose label is `baseline`, or, for
/// "KEY=VALUE", the arm with that ablation value that agrees with it on every
/// other axis (with one such arm, every arm is compared with it; keys zipped
/// with KEY, whose value always goes with KEY's, count as KEY). ConfigError
/// naming the choices when the figure or the baseline matches nothing.
/// With `solved_at`, each arm's seeds that reached it (at or above; at or
/// below where lower is better) are counted; ConfigError for a threshold
/// outside the figure's range. By seed, an arm is paired with its baseline on
/// the seeds both have; the others are noted and left out of the difference
/// and the tests (each arm's mean still counts all its seeds).
ComparisonTable compare_arms(const ExperimentResults& results, const std::string& figure,
                             const std::string& baseline, const ComparisonOptions& options = {});

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
