// The conclusion an experiment's `conclusion:` block asks for, computed from
// its finished seeds: each compared arm's difference from the baseline.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "arm_rows.hpp"
#include "attnlab/error.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab {
namespace {

// The finite values of one figure over an arm's finished seeds.
std::vector<double> finite_values(const std::vector<ArmRow>& rows, const std::string& arm,
                                  const std::string& figure) {
  const auto row =
      std::find_if(rows.begin(), rows.end(), [&](const ArmRow& r) { return r.label == arm; });
  std::vector<double> values;
  if (row == rows.end()) return values;
  const auto it = row->values.find(figure);
  if (it != row->values.end())
    std::copy_if(it->second.begin(), it->second.end(), std::back_inserter(values),
                 [](double v) { return std::isfinite(v); });
  return values;
}

// What the interval of `arm` minus the baseline shows, by the figure's direction.
std::string verdict(const MeanDifference& d, const std::string& arm, bool lower_is_better) {
  const bool above = d.ci_low > 0.0, below = d.ci_high < 0.0;
  if (!above && !below) return "the interval includes 0: no difference is shown at this budget";
  return above != lower_is_better ? fmt::format("{} is better", arm)
                                  : fmt::format("{} is worse", arm);
}

// An arm's finished seeds' finite values of `figure`, by seed.
std::map<uint64_t, double> values_by_seed(const std::vector<TrialSummary>& trials,
                                          const std::string& arm, const std::string& figure) {
  std::map<uint64_t, double> values;
  for (const TrialSummary& t : trials)
    if (t.arm == arm && t.status == TrialStatus::finished)
      for (const auto& [name, value] : t.metrics)
        if (name == figure && std::isfinite(value) && !values.emplace(t.seed, value).second)
          throw Error(
              fmt::format("arm '{}' has seed {} twice: its seeds cannot be paired", arm, t.seed));
  return values;
}

// One arm against the baseline: Welch's interval of the difference of means, or
// the paired t interval of the seeds' differences.
struct ArmDifference {
  MeanDifference d;
  std::size_t arm_seeds = 0, baseline_seeds = 0;  // each side's finite values
  std::size_t pairs = 0;                          // paired: seeds both have
};

ArmDifference arm_difference(const Conclusion& c, const std::vector<ArmRow>& rows,
                             const std::vector<TrialSummary>& trials, const std::string& arm) {
  if (!c.paired) {
    const std::vector<double> values = finite_values(rows, arm, c.figure),
                              baseline = finite_values(rows, c.baseline, c.figure);
    return {welch_difference(values, baseline), values.size(), baseline.size(), 0};
  }
  const std::map<uint64_t, double> baseline = values_by_seed(trials, c.baseline, c.figure),
                                   own = values_by_seed(trials, arm, c.figure);
  std::vector<double> values, partners;
  for (const auto& [seed, value] : own)
    if (const auto partner = baseline.find(seed); partner != baseline.end()) {
      values.push_back(value);
      partners.push_back(partner->second);
    }
  return {paired_difference(values, partners), own.size(), baseline.size(), values.size()};
}

// The line's text after "ARM vs BASELINE on FIGURE (...): ".
std::string difference_text(const Conclusion& c, const ArmDifference& a, const std::string& arm) {
  const MeanDifference& d = a.d;
  if (c.paired) {
    if (std::isnan(d.ci_low))
      return fmt::format(
          "no interval: {} and {} seeds with a finite value, {} of them in both (an interval "
          "needs 2 seeds in both)",
          a.arm_seeds, a.baseline_seeds, a.pairs);
    if (d.ci_low == d.ci_high)  // every pair differs alike: no spread to estimate an interval
      return fmt::format(
          "no spread: the difference is {:+.4f} on each of the {} pairs of seeds, but no "
          "interval can be estimated",
          d.difference, a.pairs);
    return fmt::format(
        "mean of the seeds' differences {:+.4f} [{:+.4f}, {:+.4f}] (95% interval, paired t; {} "
        "pairs of seeds): {}",
        d.difference, d.ci_low, d.ci_high, a.pairs, verdict(d, arm, c.lower_is_better));
  }
  if (std::isnan(d.ci_low))
    return fmt::format(
        "no interval: {} and {} seeds with a finite value (an interval needs 2 each)", a.arm_seeds,
        a.baseline_seeds);
  if (d.ci_low == d.ci_high)  // neither arm varied: a t interval cannot be estimated
    return fmt::format(
        "no spread in any seed ({} vs {} seeds, each arm the same value in every seed): the "
        "difference is {:+.4f} in every pair of seeds, but no interval can be estimated",
        a.arm_seeds, a.baseline_seeds, d.difference);
  return fmt::format(
      "difference of means {:+.4f} [{:+.4f}, {:+.4f}] (95% interval, Welch; {} vs {} seeds): {}",
      d.difference, d.ci_low, d.ci_high, a.arm_seeds, a.baseline_seeds,
      verdict(d, arm, c.lower_is_better));
}

// One line per compared arm: the interval of its difference from the baseline.
std::string comparison_lines(const Conclusion& c, const std::vector<ArmRow>& rows,
                             const std::vector<TrialSummary>& trials) {
  std::string text;
  for (const std::string& arm : c.versus) {
    text += fmt::format("{} vs {} on {} ({} is better): {}\n", arm, c.baseline, c.figure,
                        c.lower_is_better ? "lower" : "higher",
                        difference_text(c, arm_difference(c, rows, trials, arm), arm));
  }
  if (c.versus.size() > 1)
    text += fmt::format(
        "({} comparisons, each interval on its own: not corrected for "
        "multiplicity)\n",
        c.versus.size());
  return text;
}

// The baseline, then the arms compared with it.
std::vector<std::string> compared_arms(const Conclusion& c) {
  std::vector<std::string> arms{c.baseline};
  arms.insert(arms.end(), c.versus.begin(), c.versus.end());
  return arms;
}

}  // namespace

std::string conclusion_text(const Experiment& experiment, const std::vector<TrialSummary>& all) {
  if (!experiment.conclusion) return "";
  const Conclusion& c = *experiment.conclusion;
  const std::vector<TrialSummary> trials = at_selected_values(experiment, all);
  const std::vector<ArmRow> rows = arm_rows(experiment, trials);
  const std::string one_value = experiment.tune ? experiment.tune->values.front() : "";
  const auto planned_seeds = [&](const std::string& arm) {  // reported, at one tuned value
    return std::count_if(all.begin(), all.end(), [&](const TrialSummary& t) {
      return t.arm == arm && t.tuned == one_value &&
             !(experiment.tune && experiment.tune->selects_only(t.seed));
    });
  };
  // A quick one-seed run: say why there is no conclusion rather than refuse the run.
  const bool one_seed_each =
      planned_seeds(c.baseline) < 2 &&
      std::all_of(c.versus.begin(), c.versus.end(),
                  [&](const std::string& arm) { return planned_seeds(arm) < 2; });
  std::string text = one_seed_each
                         ? std::string(
                               "no conclusion drawn: no arm compared ran more than 1 seed, and "
                               "an interval of a difference needs at least 2 in each arm "
                               "(seeds: 2 or more)\n")
                         : comparison_lines(c, rows, trials);
  std::vector<std::string> incomplete, diverged_seeds;
  for (const ArmRow& row : rows) {
    const std::vector<std::string> arms = compared_arms(c);
    if (std::find(arms.begin(), arms.end(), row.label) == arms.end()) continue;
    const auto planned = planned_seeds(row.label);  // reported ones, at one value
    if (row.diverged > 0)  // of the reported seeds (at the selected value, under tune:)
      diverged_seeds.push_back(
          fmt::format("{}: {} of {} seeds diverged", row.label, row.diverged, planned));
    if (experiment.tune) {  // every trial of the arm's tuning, over all its values
      const auto of_arm = [&](bool settled_only) {
        return std::count_if(all.begin(), all.end(), [&](const TrialSummary& t) {
          return t.arm == row.label && (!settled_only || settled(t));
        });
      };
      if (of_arm(true) < of_arm(false))
        incomplete.push_back(fmt::format("{}: {} of {} trials of its tuning finished or diverged",
                                         row.label, of_arm(true), of_arm(false)));
      continue;
    }
    if (row.finished + row.diverged < planned)
      incomplete.push_back(
          fmt::format("{}: {} of {} seeds finished", row.label, row.finished, planned));
  }
  if (experiment.tune) {
    std::vector<std::string> values;
    for (const std::string& arm : compared_arms(c))
      for (const TunedArm& tuned : select_tuned_values(experiment, all))
        if (tuned.arm == arm)
          values.push_back(fmt::format("{} {}", arm, selected_value_text(tuned)));
    text += fmt::format("(each arm at its tuned {}, selected on {}: {})\n", experiment.tune->key,
                        experiment.tune->figure(), fmt::join(values, "; "));
  }
  if (experiment.solved) {
    std::vector<std::string> counts;
    for (const std::string& arm : compared_arms(c))
      counts.push_back(
          fmt::format("{} {}", arm, format_solved(solved_count(trials, arm, *experiment.solved))));
    text += fmt::format("solved ({}; Clopper-Pearson 95% interval): {}\n",
                        experiment.solved->describe(), fmt::join(counts, "; "));
  }
  if (!diverged_seeds.empty())
    text += fmt::format("(without figures, as their training diverged: {})\n",
                        fmt::join(diverged_seeds, "; "));
  if (!incomplete.empty()) text += fmt::format("(incomplete: {})\n", fmt::join(incomplete, "; "));
  return text;
}

}  // namespace attnlab
