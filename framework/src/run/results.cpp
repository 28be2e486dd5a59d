#include "attnlab/run/results.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "../io/isolated_read.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/stats/bounded_intervals.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSolvedGroup = "arms/solved";  // no figure has these names
constexpr const char* kTunedGroup = "arms/tuned";

struct ArmRow {
  std::string label;
  int64_t finished = 0, failed = 0;
  std::map<std::string, std::vector<double>> values;
};

// Metric names in order of first appearance over the trials.
std::vector<std::string> metric_names(const std::vector<TrialSummary>& trials) {
  std::vector<std::string> names;
  for (const TrialSummary& t : trials)
    for (const auto& [name, value] : t.metrics)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

std::vector<ArmRow> arm_rows(const Experiment& experiment,
                             const std::vector<TrialSummary>& trials) {
  std::vector<ArmRow> rows;
  for (const std::string& arm : experiment.arms) rows.push_back({arm, 0, 0, {}});
  for (const TrialSummary& t : trials) {
    auto row =
        std::find_if(rows.begin(), rows.end(), [&](const ArmRow& r) { return r.label == t.arm; });
    if (row == rows.end()) continue;
    row->finished += t.status == TrialStatus::finished;
    row->failed += t.status == TrialStatus::failed;
    for (const auto& [name, value] : t.metrics) row->values[name].push_back(value);
  }
  return rows;
}

// One figure of a seed summary: its name in results.csv and results.h5, and where it lives.
struct SummaryField {
  const char* name;
  double SampleSummary::*member;
};
constexpr SummaryField kSummaryFields[] = {
    {"mean", &SampleSummary::mean},         {"std", &SampleSummary::std},
    {"ci_low", &SampleSummary::ci_low},     {"ci_high", &SampleSummary::ci_high},
    {"boot_low", &SampleSummary::boot_low}, {"boot_high", &SampleSummary::boot_high}};

// The seed summary of one metric of one arm (NaN where there are no values).
SampleSummary arm_statistics(const ArmRow& row, const std::string& metric) {
  const auto it = row.values.find(metric);
  return summarize(it == row.values.end() ? std::vector<double>{} : it->second);
}

// How many of an arm's finished seeds solved the task by `rule`, with the
// Clopper–Pearson interval of that share (a seed whose figure is NaN did not).
struct SolvedCount {
  int64_t solved = 0, seeds = 0;
  Interval interval;
};
SolvedCount solved_count(const std::vector<TrialSummary>& trials, const std::string& arm,
                         const SolvedRule& rule) {
  SolvedCount count;
  for (const TrialSummary& t : trials) {
    if (t.arm != arm || (t.status != TrialStatus::finished && !diverged(t))) continue;
    ++count.seeds;  // a seed that diverged is one that did not solve it
    const auto it = std::find_if(t.metrics.begin(), t.metrics.end(),
                                 [&](const auto& m) { return m.first == rule.figure; });
    if (it != t.metrics.end() && rule.solves(it->second)) ++count.solved;
  }
  count.interval = clopper_pearson(count.solved, count.seeds);
  return count;
}

std::string format_solved(const SolvedCount& count) {
  if (count.seeds == 0) return "–";
  return fmt::format("{} of {} [{:.2f}, {:.2f}]", count.solved, count.seeds, count.interval.low,
                     count.interval.high);
}

// The tuning of `arm` (nullptr without tune:).
const TunedArm* tuning_of(const std::vector<TunedArm>& tuned, const std::string& arm) {
  const auto it =
      std::find_if(tuned.begin(), tuned.end(), [&](const TunedArm& t) { return t.arm == arm; });
  return it == tuned.end() ? nullptr : &*it;
}

bool is_count(const std::string& figure) {
  try {
    return figure_meaning(figure).unit == "count";
  } catch (const ConfigError&) {  // a figure this build does not know
    return false;
  }
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(double value) {
  return std::isnan(value) ? "" : fmt::format("{:.6g}", value);
}

std::string arms_csv(const Experiment& experiment, const std::vector<TrialSummary>& all) {
  const std::vector<TrialSummary> trials = at_selected_values(experiment, all);
  const std::vector<TunedArm> tuned = select_tuned_values(experiment, all);
  const std::vector<std::string> metrics = metric_names(trials);
  const std::optional<SolvedRule>& rule = experiment.solved;
  std::string text = "arm,finished,failed";
  if (experiment.tune) text += ",tuned_value,tuned_at_edge,tuned_provisional";
  if (rule) text += ",solved,solved_of,solved_ci_low,solved_ci_high";
  for (const std::string& m : metrics)
    for (const SummaryField& field : kSummaryFields)
      text += fmt::format(",{}", csv_field(fmt::format("{}_{}", m, field.name)));
  text += "\n";
  for (const ArmRow& row : arm_rows(experiment, trials)) {
    text += fmt::format("{},{},{}", csv_field(row.label), row.finished, row.failed);
    if (const TunedArm* arm = tuning_of(tuned, row.label))
      text += fmt::format(",{},{},{}", arm->selected ? csv_field(*arm->selected_value()) : "",
                          arm->at_edge ? 1 : 0, arm->provisional ? 1 : 0);
    if (rule) {
      const SolvedCount count = solved_count(trials, row.label, *rule);
      text += fmt::format(",{},{},{},{}", count.solved, count.seeds, number(count.interval.low),
                          number(count.interval.high));
    }
    for (const std::string& m : metrics) {
      const SampleSummary summary = arm_statistics(row, m);
      for (const SummaryField& field : kSummaryFields)
        text += fmt::format(",{}", number(summary.*field.member));
    }
    text += "\n";
  }
  return text;
}

std::string trials_csv(const Experiment& experiment, const std::vector<TrialSummary>& trials) {
  const std::vector<std::string> metrics = metric_names(trials);
  std::string text = "index,id,arm,seed,status,seconds";
  if (experiment.tune) text += fmt::format(",{}", csv_field(experiment.tune->key));
  for (const std::string& m : metrics) text += fmt::format(",{}", csv_field(m));
  text += ",failure\n";
  for (const TrialSummary& t : trials) {
    text += fmt::format("{},{},{},{},{},{}", t.index, t.id, csv_field(t.arm), t.seed,
                        to_string(t.status), number(t.seconds));
    if (experiment.tune) text += fmt::format(",{}", csv_field(t.tuned));
    for (const std::string& m : metrics) {
      const auto it = std::find_if(t.metrics.begin(), t.metrics.end(),
                                   [&](const auto& p) { return p.first == m; });
      text += fmt::format(",{}", it == t.metrics.end() ? std::string() : number(it->second));
    }
    text += fmt::format(",{}\n", csv_field(t.failure));
  }
  return text;
}

// The tuned value a table shows for an arm: the selected one, flagged at the
// grid's edge, or how far its tuning has got when none can be selected yet.
std::string selected_value_text(const TunedArm& arm) {
  if (arm.selected)
    return *arm.selected_value() + (arm.at_edge ? " (edge)" : "") +
           (arm.provisional ? " (provisional)" : "");
  int64_t finished = 0, planned = 0;
  for (const TuningCandidate& c : arm.candidates) {
    finished += c.finished;
    planned += c.planned;
  }
  return fmt::format("none yet ({} of {} trials finished)", finished, planned);
}

// arms/tuned: per arm, the value it is reported at.
void write_tuned_values(Hdf5File& file, const Tuning& tuning, const std::vector<TunedArm>& tuned) {
  std::vector<std::string> selected;
  std::vector<int32_t> at_edge, provisional;
  for (const TunedArm& arm : tuned) {
    selected.push_back(arm.selected ? *arm.selected_value() : "");
    at_edge.push_back(arm.at_edge ? 1 : 0);
    provisional.push_back(arm.provisional ? 1 : 0);
  }
  file.create_group(kTunedGroup);
  file.set_attribute(kTunedGroup, "key", tuning.key);
  file.set_attribute(kTunedGroup, "values", tuning.values);
  file.set_attribute(kTunedGroup, "figure", tuning.figure());
  file.set_attribute(kTunedGroup, "selected", selected);
  file.write_ints(fmt::format("{}/at_edge", kTunedGroup), at_edge,
                  {static_cast<int64_t>(tuned.size())});
  file.write_ints(fmt::format("{}/provisional", kTunedGroup), provisional,
                  {static_cast<int64_t>(tuned.size())});
}

// arms/solved: per arm, how many finished seeds solved the task by `rule`.
void write_solved_counts(Hdf5File& file, const SolvedRule& rule, const std::vector<ArmRow>& rows,
                         const std::vector<TrialSummary>& trials) {
  std::vector<int32_t> solved, seeds;
  std::vector<float> low, high;
  for (const ArmRow& row : rows) {
    const SolvedCount count = solved_count(trials, row.label, rule);
    solved.push_back(static_cast<int32_t>(count.solved));
    seeds.push_back(static_cast<int32_t>(count.seeds));
    low.push_back(static_cast<float>(count.interval.low));
    high.push_back(static_cast<float>(count.interval.high));
  }
  const int64_t arms = static_cast<int64_t>(rows.size());
  file.create_group(kSolvedGroup);
  file.set_attribute(kSolvedGroup, "figure", rule.figure);
  file.set_attribute(kSolvedGroup, "threshold", rule.threshold);
  file.set_attribute(kSolvedGroup, "at", std::string(rule.at_most ? "at_most" : "at_least"));
  file.write_ints(fmt::format("{}/count", kSolvedGroup), solved, {arms});
  file.write_ints(fmt::format("{}/seeds", kSolvedGroup), seeds, {arms});
  file.write_tensor(fmt::format("{}/ci_low", kSolvedGroup), Tensor::from_values({arms}, low));
  file.write_tensor(fmt::format("{}/ci_high", kSolvedGroup), Tensor::from_values({arms}, high));
}

// arms/: one row per arm, at its selected value under tune:.
void write_arms(Hdf5File& file, const Experiment& experiment,
                const std::vector<TrialSummary>& all) {
  const std::vector<TrialSummary> trials = at_selected_values(experiment, all);
  const std::vector<ArmRow> rows = arm_rows(experiment, trials);
  std::vector<std::string> labels;
  std::vector<int32_t> finished_counts, failed_counts;
  for (const ArmRow& row : rows) {
    labels.push_back(row.label);
    finished_counts.push_back(static_cast<int32_t>(row.finished));
    failed_counts.push_back(static_cast<int32_t>(row.failed));
  }
  const int64_t arms = static_cast<int64_t>(rows.size());
  file.create_group("arms");
  file.set_attribute("arms", "labels", labels);
  file.write_ints("arms/finished", finished_counts, {arms});
  file.write_ints("arms/failed", failed_counts, {arms});
  if (experiment.solved) write_solved_counts(file, *experiment.solved, rows, trials);
  if (experiment.tune)
    write_tuned_values(file, *experiment.tune, select_tuned_values(experiment, all));
  for (const std::string& metric : metric_names(trials)) {
    std::vector<SampleSummary> summaries;  // one per arm, each computed once
    for (const ArmRow& row : rows) summaries.push_back(arm_statistics(row, metric));
    for (const SummaryField& field : kSummaryFields) {
      std::vector<float> values;
      for (const SampleSummary& summary : summaries)
        values.push_back(static_cast<float>(summary.*field.member));
      file.write_tensor(fmt::format("arms/{}/{}", metric, field.name),
                        Tensor::from_values({arms}, values));
    }
    try {  // what a reader must know to compare it (a figure of an older build may lack it)
      const FigureMeaning meaning = figure_meaning(metric);
      file.set_attribute("arms/" + metric, "better", std::string(to_string(meaning.better)));
      file.set_attribute("arms/" + metric, "unit", std::string(meaning.unit));
      file.set_attribute("arms/" + metric, "low", meaning.low);
      file.set_attribute("arms/" + metric, "high", meaning.high);
    } catch (const ConfigError&) {
    }
  }
}

void write_results_h5(const Experiment& experiment, const OutputLayout& layout,
                      const std::vector<TrialSummary>& trials) {
  write_hdf5_atomically(layout.results_h5(), [&](Hdf5File& file) {
    write_provenance(file, file_kinds::experiment);
    file.set_attribute("/", "experiment", experiment.name);
    const TrialTicket context = make_ticket(experiment, experiment.trials.front());
    file.set_attribute("/", "experiment_yaml", context.given_yaml);
    file.set_attribute("/", "experiment_resolved_yaml", context.resolved_yaml);
    file.create_group("trials");
    std::vector<std::string> finished, failed, reasons;
    for (const TrialSummary& t : trials) {
      if (t.status == TrialStatus::finished) {
        file.link_external("trials/" + t.id, OutputLayout::trial_link_target(t.id), "/");
        finished.push_back(t.id);
      } else if (t.status == TrialStatus::failed) {
        failed.push_back(t.id);
        reasons.push_back(t.failure);
      }
    }
    file.set_attribute("trials", "finished", finished);
    file.set_attribute("trials", "failed", failed);
    file.set_attribute("trials", "failure_reasons", reasons);
    std::vector<std::string> reported;  // what the arms/ tables are of
    for (const TrialSummary& t : at_selected_values(experiment, trials))
      if (t.status == TrialStatus::finished) reported.push_back(t.id);
    file.set_attribute("trials", "reported", reported);
    write_arms(file, experiment, trials);
  });
}

}  // namespace

std::string results_table(const Experiment& experiment, const std::vector<TrialSummary>& all) {
  const std::vector<TrialSummary> trials = at_selected_values(experiment, all);
  const std::vector<TunedArm> tuned = select_tuned_values(experiment, all);
  std::vector<std::string> metrics = metric_names(trials);
  if (experiment.tune)  // what selected the value is biased at it: the tuning table has it
    std::erase_if(metrics, [](const std::string& m) {
      return parse_figure_name(m).setting == kValidationSetting;
    });
  const std::optional<SolvedRule>& solved = experiment.solved;
  std::string text = "| arm | finished | failed |";
  std::string rule = "|---|---:|---:|";
  if (experiment.tune) {
    text += fmt::format(" {} (tuned) |", experiment.tune->key);
    rule += "---:|";
  }
  if (solved) {
    text += fmt::format(" solved ({}) |", solved->describe());
    rule += "---:|";
  }
  for (const std::string& m : metrics) {
    text += fmt::format(" {} |", m);
    rule += "---:|";
  }
  text += "\n" + rule + "\n";
  for (const ArmRow& row : arm_rows(experiment, trials)) {
    text += fmt::format("| {} | {} | {} |", row.label, row.finished, row.failed);
    if (const TunedArm* arm = tuning_of(tuned, row.label))
      text += fmt::format(" {} |", selected_value_text(*arm));
    if (solved)
      text += fmt::format(" {} |", format_solved(solved_count(trials, row.label, *solved)));
    for (const std::string& m : metrics) {
      const SampleSummary s = arm_statistics(row, m);
      if (std::isnan(s.mean))
        text += " – |";
      else if (s.std == 0.0)  // the same in every seed (e.g. the parameter count)
        text += fmt::format(" {:.6g} |", s.mean);
      else if (std::isnan(s.std))  // one seed: its value (a count as the whole number it is)
        text += is_count(m) ? fmt::format(" {:.6g} |", s.mean) : fmt::format(" {:.4f} |", s.mean);
      else if (std::isnan(s.boot_low))
        text += fmt::format(" {:.4f} ± {:.4f} |", s.mean, s.std);
      else
        text += fmt::format(" {:.4f} ± {:.4f} [{:.4f}, {:.4f}] |", s.mean, s.std, s.boot_low,
                            s.boot_high);
    }
    text += "\n";
  }
  return text;
}

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

const char* const kResultsTableLegend =
    "Mean ± standard deviation [95% interval of the mean] over each arm's finished seeds. The "
    "interval is the expanded percentile bootstrap (Hesterberg 2015): from every resample of "
    "up to 9 seeds (no random draw), and within the seeds' range, so within the figure's; "
    "none where every seed gave the same value. It covers the mean about 93% of the time at 5 "
    "seeds; with 2, 3 or 4 seeds it is (nearly) the seeds' range, which covers it only about "
    "50%, 75% or 88% of the time. Student-t intervals are in results.csv (_ci_low, _ci_high) "
    "and `attnlab compare --interval t`.";

const char* const kResultsTableKey =
    "[low, high]: 95% interval of the mean (expanded percentile bootstrap, within the seeds' "
    "range; results.md says more). (edge): a tuned value at an end of its grid.";

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
  std::vector<std::string> incomplete;
  for (const ArmRow& row : rows) {
    const std::vector<std::string> arms = compared_arms(c);
    if (std::find(arms.begin(), arms.end(), row.label) == arms.end()) continue;
    if (experiment.tune) {  // every trial of the arm's tuning, over all its values
      const auto of_arm = [&](bool finished) {
        return std::count_if(all.begin(), all.end(), [&](const TrialSummary& t) {
          return t.arm == row.label && (!finished || t.status == TrialStatus::finished);
        });
      };
      if (of_arm(true) < of_arm(false))
        incomplete.push_back(fmt::format("{}: {} of {} trials of its tuning finished", row.label,
                                         of_arm(true), of_arm(false)));
      continue;
    }
    const auto planned = planned_seeds(row.label);
    if (row.finished < planned)
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
  if (!incomplete.empty()) text += fmt::format("(incomplete: {})\n", fmt::join(incomplete, "; "));
  return text;
}

void write_results(const Experiment& experiment, const OutputLayout& layout,
                   const std::vector<TrialSummary>& trials) {
  write_results_h5(experiment, layout, trials);
  write_file_atomically(layout.results_csv(), arms_csv(experiment, trials));
  write_file_atomically(layout.trials_csv(), trials_csv(experiment, trials));
  std::string report = fmt::format("# {}\n\n", experiment.name);
  report += fmt::format("{}\n\n{}", kResultsTableLegend, results_table(experiment, trials));
  if (experiment.tune) report += fmt::format("\n{}", tuning_table(experiment, trials));
  if (const std::string conclusion = conclusion_text(experiment, trials); !conclusion.empty())
    report += "\nConclusion, computed from the figures above:\n\n" + conclusion;
  write_file_atomically(layout.results_md(), report);
}

}  // namespace attnlab

namespace attnlab {

std::vector<TrialSummary> update_results(const Experiment& experiment, const OutputLayout& layout) {
  const std::string lock_path = layout.results_lock().string();
  const int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (lock < 0) throw IoError(fmt::format("{}: cannot create the results lock", lock_path));
  if (::flock(lock, LOCK_EX) != 0) {
    ::close(lock);
    throw IoError(fmt::format("{}: cannot lock", lock_path));
  }
  try {
    const std::vector<TrialSummary> summaries = collect_summaries(experiment, layout);
    write_results(experiment, layout, summaries);
    ::close(lock);  // releases the lock
    return summaries;
  } catch (...) {
    ::close(lock);
    throw;
  }
}

}  // namespace attnlab
