#include "attnlab/analysis/arm_comparison.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kAlpha = 0.05;

using Axes = std::vector<std::pair<std::string, std::string>>;

std::optional<double> figure_of(const TrialSummary& trial, const std::string& figure) {
  for (const auto& [name, value] : trial.metrics)
    if (name == figure) return value;
  return std::nullopt;
}

ArmSample sample_of(const ExperimentResults& results, const std::string& arm,
                    const std::string& figure, std::optional<double> solved_at) {
  ArmSample sample{arm, {}, {}, 0, 0, {}, std::nullopt};
  for (const TrialSummary& trial : results.trials) {
    if (trial.arm != arm) continue;
    ++sample.planned;
    sample.diverged += diverged(trial);  // its training did: no figure, as the run's table counts
  }
  for (const TrialSummary* trial : results.finished(arm))
    if (const auto value = figure_of(*trial, figure)) {
      if (std::isfinite(*value)) {
        sample.values.push_back(*value);
        sample.seeds.push_back(trial->seed);
      } else
        ++sample.diverged;
    }
  sample.summary = summarize(sample.values);
  if (solved_at) {
    const bool lower = figure_meaning(figure).better == Better::lower;
    SolvedShare share;
    share.seeds = static_cast<int64_t>(sample.values.size()) + sample.diverged;
    share.solved = std::count_if(sample.values.begin(), sample.values.end(), [&](double v) {
      return lower ? v <= *solved_at : v >= *solved_at;
    });
    share.interval = clopper_pearson(share.solved, share.seeds);
    sample.solved = share;
  }
  return sample;
}

// The arm's ablation values, from any of its finished trials (all agree; under
// tune: at any value, so an arm with none selected yet still has them).
Axes axes_of(const ExperimentResults& results, const std::string& arm) {
  for (const TrialSummary& trial : results.all_trials)
    if (trial.arm == arm && trial.status == TrialStatus::finished) return trial.axes;
  return {};
}

std::optional<std::string> axis_value(const Axes& axes, const std::string& key) {
  for (const auto& [k, v] : axes)
    if (k == key) return v;
  return std::nullopt;
}

// The keys that move with `key` over the arms, `key` among them: those whose
// value always goes with key's and back (a zip: block pairs them).
std::set<std::string> tied_keys(const ExperimentResults& results, const std::string& key) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> forward, backward;
  for (const std::string& arm : results.plan.arms) {
    const Axes axes = axes_of(results, arm);
    const auto value = axis_value(axes, key);
    if (!value) continue;
    for (const auto& [other, v] : axes) {
      forward[other][*value].insert(v);
      backward[other][v].insert(*value);
    }
  }
  std::set<std::string> tied{key};
  for (const auto& [other, mapping] : forward) {
    const auto one_to_one = [](const auto& map) {
      return std::all_of(map.begin(), map.end(),
                         [](const auto& e) { return e.second.size() == 1; });
    };
    if (one_to_one(mapping) && one_to_one(backward[other])) tied.insert(other);
  }
  return tied;
}

// Whether two arms agree on every axis but the `tied` ones.
bool agree_apart_from(const Axes& a, const Axes& b, const std::set<std::string>& tied) {
  const auto others = [&](const Axes& axes) {
    std::map<std::string, std::string> rest(axes.begin(), axes.end());
    for (const std::string& key : tied) rest.erase(key);
    return rest;
  };
  return others(a) == others(b);
}

// For every arm, the baseline arm it is compared with ("" for the baselines).
std::map<std::string, std::string> baseline_of_each_arm(const ExperimentResults& results,
                                                        const std::string& choice) {
  const std::vector<std::string>& arms = results.plan.arms;
  std::map<std::string, std::string> partner;
  if (std::find(arms.begin(), arms.end(), choice) != arms.end()) {
    for (const std::string& arm : arms)
      if (arm != choice) partner[arm] = choice;
    return partner;
  }
  const auto equals = choice.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ConfigError(
        fmt::format("--baseline '{}': neither an arm's label nor KEY=VALUE; the arms are: {}",
                    choice, fmt::join(arms, " | ")));
  const std::string key = choice.substr(0, equals), value = choice.substr(equals + 1);
  std::vector<std::string> baselines, known_values;
  for (const std::string& arm : arms) {
    const auto found = axis_value(axes_of(results, arm), key);
    if (found && *found == value) baselines.push_back(arm);
    if (found && std::find(known_values.begin(), known_values.end(), *found) == known_values.end())
      known_values.push_back(*found);
  }
  if (baselines.empty())
    throw ConfigError(fmt::format(
        "--baseline {}: no finished arm has {} = {}; {}", choice, key, value,
        results.plan.tune && results.plan.tune->key == key
            ? fmt::format("{} is the tuned key (tune:), not an ablation axis: --at VALUE "
                          "compares every arm at one of its values",
                          key)
        : known_values.empty()
            ? fmt::format("no arm varies '{}' (the arms are: {})", key, fmt::join(arms, " | "))
            : fmt::format("it takes: {}", fmt::join(known_values, ", "))));
  for (const std::string& arm : arms) {
    if (std::find(baselines.begin(), baselines.end(), arm) != baselines.end()) continue;
    if (baselines.size() == 1) {
      partner[arm] = baselines.front();
      continue;
    }
    const Axes axes = axes_of(results, arm);
    const std::set<std::string> tied = tied_keys(results, key);
    for (const std::string& baseline : baselines)
      if (agree_apart_from(axes, axes_of(results, baseline), tied)) partner[arm] = baseline;
    if (!partner.count(arm))
      throw ConfigError(fmt::format(
          "--baseline {}: arm '{}' has no baseline arm that differs from it only in {} (the "
          "baseline arms are: {}); name one arm as the baseline instead",
          choice, arm, key, fmt::join(baselines, " | ")));
  }
  return partner;
}

// Each test's own direction: the t-test's from the difference, the rank
// test's from its statistic against its middle (they can disagree: one wild
// seed pulls a mean, not a rank).
std::string verdict_of(const ArmComparison& row, Pairing pairing) {
  const bool mean = row.mean_holm < kAlpha, rank = row.rank_holm < kAlpha;
  if (!mean && !rank) return "no difference shown";
  const std::string by_mean = row.difference.difference > 0 ? "higher" : "lower";
  const std::string by_rank = row.rank.statistic > row.rank.null_mean ? "higher" : "lower";
  if (mean && rank)
    return by_mean == by_rank ? by_mean
                              : fmt::format("conflicting: mean {}, ranks {}", by_mean, by_rank);
  const TestNames names = test_names(pairing);
  return mean ? fmt::format("{} ({} only)", by_mean, names.mean)
              : fmt::format("{} ({} only)", by_rank, names.rank);
}

// The smallest two-sided p the exact rank test can give: for na against nb
// seeds, complete separation, 2 / C(na + nb, na); for the n pairs whose
// difference is not 0, every sign alike, 2 / 2^n.
double smallest_rank_p(const ArmComparison& row, Pairing pairing) {
  if (pairing == Pairing::by_seed)
    return std::min(1.0, 2.0 / std::exp2(static_cast<double>(row.rank.ranked)));
  const std::size_t na = row.arm.values.size(), nb = row.baseline.values.size();
  double ways = 1.0;
  for (std::size_t i = 1; i <= na; ++i)
    ways = ways * static_cast<double>(nb + i) / static_cast<double>(i);
  return std::min(1.0, 2.0 / ways);
}

// An arm's figures by seed; a seed twice in one arm (no plan has that) is an error.
std::map<int64_t, double> by_seed(const ArmSample& sample) {
  std::map<int64_t, double> values;
  for (std::size_t i = 0; i < sample.seeds.size(); ++i)
    if (!values.emplace(sample.seeds[i], sample.values[i]).second)
      throw Error(fmt::format("arm '{}' has seed {} twice: its seeds cannot be paired", sample.arm,
                              sample.seeds[i]));
  return values;
}

// The arm's and the baseline's figures on the seeds both have, in seed order.
std::pair<std::vector<double>, std::vector<double>> seed_pairs(const ArmSample& arm,
                                                               const ArmSample& baseline) {
  const std::map<int64_t, double> partners = by_seed(baseline);
  std::pair<std::vector<double>, std::vector<double>> pairs;
  for (const auto& [seed, value] : by_seed(arm))
    if (const auto partner = partners.find(seed); partner != partners.end()) {
      pairs.first.push_back(value);
      pairs.second.push_back(partner->second);
    }
  return pairs;
}

// The difference and both tests, unpaired or on the seeds' pairs.
void test_row(ArmComparison& row, Pairing pairing) {
  if (pairing == Pairing::unpaired) {
    row.difference = welch_difference(row.arm.values, row.baseline.values);
    row.mean_test = welch_test(row.arm.values, row.baseline.values);
    row.rank = mann_whitney_test(row.arm.values, row.baseline.values);
    return;
  }
  const auto [arm, baseline] = seed_pairs(row.arm, row.baseline);
  row.pairs = static_cast<int64_t>(arm.size());
  row.difference = paired_difference(arm, baseline);
  row.mean_test = paired_t_test(arm, baseline);
  row.rank = signed_rank_test(arm, baseline);
}

}  // namespace

namespace {

void require_figure(const ExperimentResults& results, const std::string& figure) {
  const std::vector<std::string> figures = results.figures();
  if (std::find(figures.begin(), figures.end(), figure) == figures.end())
    throw ConfigError(fmt::format("--metric {}: no finished trial of {} has it; they have: {}",
                                  figure, results.layout.dir().string(),
                                  figures.empty() ? "nothing (no trial finished)"
                                                  : fmt::format("{}", fmt::join(figures, ", "))));
}

// With a KEY=VALUE baseline, the arms that do not set KEY (compared with the one baseline arm).
void note_arms_without_key(const ExperimentResults& results, const std::string& baseline,
                           const std::map<std::string, std::string>& partner,
                           ComparisonTable& table) {
  const auto equals = baseline.find('=');
  if (equals == std::string::npos || std::find(results.plan.arms.begin(), results.plan.arms.end(),
                                               baseline) != results.plan.arms.end())
    return;
  const std::string key = baseline.substr(0, equals);
  for (const std::string& arm : results.plan.arms)
    if (partner.count(arm) && !axis_value(axes_of(results, arm), key))
      table.notes.push_back(
          fmt::format("{}: does not set {} at all; it is compared with the one baseline arm, {}",
                      arm, key, partner.at(arm)));
}

// A side with one seed has no Welch test; against so few seeds that even
// complete separation leaves the exact rank test above kAlpha (one against
// one: p = 1 whatever the values), nothing can be tested. Nor with fewer than
// two pairs.
bool too_few_seeds(const ArmComparison& row, Pairing pairing) {
  if (pairing == Pairing::by_seed) return row.pairs < 2;
  const std::size_t fewer = std::min(row.arm.values.size(), row.baseline.values.size());
  return fewer == 0 || (fewer < 2 && smallest_rank_p(row, pairing) >= kAlpha);
}

// Each row's Holm-adjusted p-values over the rows that can be tested (a row
// with too few seeds would only make the others' correction stricter), and its
// verdict from both tests.
void adjust_and_judge(ComparisonTable& table) {
  std::vector<double> mean_p, rank_p;
  for (ArmComparison& row : table.rows) {
    if (too_few_seeds(row, table.pairing)) row.mean_test.p = row.rank.p = kNaN;
    mean_p.push_back(row.mean_test.p);
    rank_p.push_back(row.rank.p);
  }
  const std::vector<double> mean_adjusted = holm_adjusted(mean_p),
                            rank_adjusted = holm_adjusted(rank_p);
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    ArmComparison& row = table.rows[i];
    row.mean_holm = mean_adjusted[i];
    row.rank_holm = rank_adjusted[i];
    row.verdict =
        too_few_seeds(row, table.pairing) ? "too few seeds" : verdict_of(row, table.pairing);
  }
}

// A verdict on an arm whose tuned value may still change (a selecting trial
// has not run, or failed) may change with it.
void mark_provisional_rows(const ExperimentResults& results, ComparisonTable& table) {
  std::set<std::string> provisional;
  for (const TunedArm& arm : select_tuned_values(results.plan, results.all_trials))
    if (arm.provisional) provisional.insert(arm.arm);
  for (ArmComparison& row : table.rows)
    row.provisional = provisional.count(row.arm.arm) || provisional.count(row.baseline.arm);
}

// What each row's seeds leave out, and a Welch test without spread.
void note_row(const ArmComparison& row, const std::string& figure, ComparisonTable& table) {
  if (static_cast<int64_t>(row.arm.values.size()) < row.arm.planned ||
      static_cast<int64_t>(row.baseline.values.size()) < row.baseline.planned)
    table.notes.push_back(fmt::format(
        "{}: {} of {} seeds counted with {} (baseline {}: {} of {}); the others are left out: "
        "not run, failed or damaged (named on stderr){}",
        row.arm.arm, row.arm.values.size(), row.arm.planned, figure, row.baseline.arm,
        row.baseline.values.size(), row.baseline.planned,
        row.arm.diverged + row.baseline.diverged
            ? fmt::format(", or diverged ({} and {} with a figure that is not finite: a "
                          "comparison of the survivors)",
                          row.arm.diverged, row.baseline.diverged)
            : ""));
  const auto counted =
      static_cast<int64_t>(std::max(row.arm.values.size(), row.baseline.values.size()));
  if (table.pairing == Pairing::by_seed && row.pairs < counted)
    table.notes.push_back(fmt::format(
        "{}: paired with {} on the {} seed(s) both have a figure for; the other seeds count in "
        "the means only",
        row.arm.arm, row.baseline.arm, row.pairs));
  if (std::isnan(row.mean_test.p) && std::isinf(row.mean_test.t))
    table.notes.push_back(
        table.pairing == Pairing::by_seed
            ? fmt::format("{}: its difference from {} is the same on every seed, so the paired "
                          "t-test has no spread to measure it against (p shown as -)",
                          row.arm.arm, row.baseline.arm)
            : fmt::format("{}: neither it nor {} varies over seeds, so Welch's test has no spread "
                          "to measure the difference against (p shown as -)",
                          row.arm.arm, row.baseline.arm));
}

// The rows whose exact rank test cannot reach kAlpha after Holm whatever the
// data: a row's adjusted p is at least its own smallest possible p, and at least
// `tested` times the smallest possible p of all the tested rows.
void note_rank_floor(int64_t tested, ComparisonTable& table) {
  const auto floor_of = [&](const ArmComparison& row) {
    return smallest_rank_p(row, table.pairing);
  };
  const auto is_tested = [](const ArmComparison& row) { return !std::isnan(row.rank.p); };
  double lowest = 1.0;
  for (const ArmComparison& row : table.rows)
    if (is_tested(row)) lowest = std::min(lowest, floor_of(row));
  const double holm_floor = lowest * static_cast<double>(std::max<int64_t>(1, tested));
  // Rows with the same seeds have the same floor: one group each, in table order.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  std::size_t blocked = 0;
  for (const ArmComparison& row : table.rows) {
    if (!is_tested(row) || std::max(floor_of(row), holm_floor) < kAlpha) continue;
    const std::string sizes =
        table.pairing == Pairing::by_seed
            ? fmt::format("{} pair{} of seeds that differ{}", row.rank.ranked,
                          row.rank.ranked == 1 ? "" : "s", row.rank.ranked == 1 ? "s" : "")
            : fmt::format("{} against {} seeds", row.arm.values.size(), row.baseline.values.size());
    const std::string floor = fmt::format("p >= {:.3g} with {}", floor_of(row), sizes);
    auto group =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == floor; });
    if (group == groups.end()) group = groups.insert(groups.end(), {floor, {}});
    group->second.push_back(row.arm.arm);
    ++blocked;
  }
  if (groups.empty()) return;
  const bool every_row = blocked == static_cast<std::size_t>(tested);
  std::vector<std::string> floors;
  for (const auto& [floor, arms] : groups)
    floors.push_back(fmt::format("{} ({})", floor,
                                 every_row && groups.size() == 1 && tested > 1
                                     ? std::string("every row")
                                     : fmt::format("{}", fmt::join(arms, ", "))));
  // Holm's multiplier is worth naming only where a row's own floor is below kAlpha.
  const std::string by_holm = tested > 1 && holm_floor >= kAlpha && lowest < kAlpha
                                  ? fmt::format(
                                        "; Holm's correction over {} comparisons takes even "
                                        "the lowest of these, {:.3g}, to {:.3g}",
                                        tested, lowest, std::min(1.0, holm_floor))
                                  : "";
  table.notes.push_back(
      fmt::format("the exact {} test cannot reach {} {} with the seeds it has: {}{}; run more "
                  "seeds to let it speak",
                  table.pairing == Pairing::by_seed ? "signed-rank" : "rank", kAlpha,
                  every_row ? "in any row" : "in these rows", fmt::join(floors, "; "), by_holm));
}

// t intervals that leave the figure's range (a fraction's [0, 1], a loss's >= 0).
void note_intervals_out_of_range(const std::string& figure, ComparisonTable& table) {
  const FigureMeaning meaning = figure_meaning(figure);
  std::set<std::string> noted;
  for (const ArmComparison& row : table.rows)
    for (const ArmSample* sample : {&row.arm, &row.baseline})
      if (!noted.count(sample->arm) && (sample->summary.ci_low < meaning.low - 1e-6 ||
                                        sample->summary.ci_high > meaning.high + 1e-6)) {
        noted.insert(sample->arm);
        table.notes.push_back(fmt::format(
            "{}: the t interval [{:.6g}, {:.6g}] leaves [{}, {}], where {} lies: the seeds are "
            "too few or too far from normal for it (--interval bootstrap stays within); the "
            "{} test does not assume normality",
            sample->arm, sample->summary.ci_low, sample->summary.ci_high, meaning.low, meaning.high,
            figure, table.pairing == Pairing::by_seed ? "signed-rank" : "rank"));
      }
}

}  // namespace

TestNames test_names(Pairing pairing) {
  if (pairing == Pairing::by_seed)
    return {"paired t",          "signed-rank", "paired difference [95% CI]",
            "paired_difference", "paired t p",  "paired_t",
            "signed-rank p",     "signed_rank", "signed-rank test"};
  return {"Welch", "rank test", "difference [95% CI]", "difference", "Welch p", "welch", "rank p",
          "rank",  "rank test"};
}

ComparisonTable compare_arms(const ExperimentResults& results, const std::string& figure,
                             const std::string& baseline, const ComparisonOptions& options) {
  const std::optional<double>& solved_at = options.solved_at;
  require_figure(results, figure);
  if (solved_at && figure_meaning(figure).better == Better::neither)
    throw ConfigError(fmt::format(
        "--solved: {} is better neither higher nor lower, so no value of it solves anything",
        figure));
  if (solved_at && !figure_meaning(figure).contains(*solved_at))
    throw ConfigError(fmt::format("--solved {}: outside [{}, {}], the range of {}", *solved_at,
                                  figure_meaning(figure).low, figure_meaning(figure).high, figure));
  const std::map<std::string, std::string> partner = baseline_of_each_arm(results, baseline);
  ComparisonTable table{figure, options.interval, solved_at, options.pairing,
                        false,  baseline,         {},        {}};
  table.notes = results.tuning_notes();
  note_arms_without_key(results, baseline, partner, table);
  for (const std::string& arm : results.plan.arms) {
    if (!partner.count(arm)) continue;
    ArmComparison row;
    row.arm = sample_of(results, arm, figure, solved_at);
    row.baseline = sample_of(results, partner.at(arm), figure, solved_at);
    test_row(row, options.pairing);
    table.rows.push_back(std::move(row));
  }
  adjust_and_judge(table);
  if (results.plan.tune && !results.fixed_tuned_value) {
    table.tuned = true;
    mark_provisional_rows(results, table);
    // With tune.seeds the reported seeds did not select: their validation figure is fair.
    if (parse_figure_name(figure).setting == kValidationSetting && results.plan.tune->seeds.empty())
      table.notes.push_back(fmt::format(
          "{} is what selected each arm's {}: at the selected value it is biased in the arm's "
          "favour (the selection picked its best); the test figures are not",
          figure, results.plan.tune->key));
  }
  int64_t tested = 0;
  for (const ArmComparison& row : table.rows) {
    tested += std::isnan(row.rank.p) ? 0 : 1;
    note_row(row, figure, table);
  }
  note_rank_floor(tested, table);
  if (options.interval == MeanInterval::t) note_intervals_out_of_range(figure, table);
  if (tested > 1)
    table.notes.push_back(fmt::format(
        "p-values are Holm-adjusted over the {} comparisons; the intervals are not", tested));
  return table;
}

std::vector<StepsToTarget> steps_to_target(const ExperimentResults& results,
                                           const std::string& figure, double target) {
  const bool lower_is_better = figure_meaning(figure).better == Better::lower;
  std::vector<StepsToTarget> rows;
  for (const std::string& arm : results.plan.arms) {
    StepsToTarget row{arm, 0, 0, {}, kNaN};
    std::vector<double> steps;
    for (const TrialSummary* trial : results.finished(arm)) {
      ++row.seeds;
      const Curve curve = read_curve(results.layout.trial_file(trial->id), figure);
      for (std::size_t i = 0; i < curve.steps.size(); ++i)
        if (lower_is_better ? curve.values[i] <= target : curve.values[i] >= target) {
          steps.push_back(static_cast<double>(curve.steps[i]));
          break;
        }
    }
    row.reached = static_cast<int64_t>(steps.size());
    row.steps = summarize(steps);
    if (!steps.empty()) {
      std::vector<double> sorted = steps;
      std::sort(sorted.begin(), sorted.end());
      const std::size_t middle = sorted.size() / 2;
      row.median = sorted.size() % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

FigureByLength figure_by_length(const ExperimentResults& results, const std::string& figure) {
  FigureByLength table;
  std::vector<std::string> names{figure};
  table.lengths.push_back("training");
  const FigureName asked = parse_figure_name(figure);
  std::vector<int64_t> extra;
  for (const std::string& name : results.figures()) {
    const FigureName parts = parse_figure_name(name);
    if (parts.evaluated && parts.metric == asked.metric && parts.length && parts.setting.empty())
      extra.push_back(*parts.length);
  }
  std::sort(extra.begin(), extra.end());
  for (const int64_t length : extra) {
    table.lengths.push_back(std::to_string(length));
    names.push_back(figure_name(asked.metric, length));
  }
  for (const TrialSummary& trial : results.trials)
    if (trial.status == TrialStatus::finished) {  // name the training length by its value
      const Hdf5File file(results.layout.trial_file(trial.id).string(), Hdf5File::Mode::read);
      table.lengths.front() =
          std::to_string(file.int_attribute(trial_paths::evaluation, trial_paths::training_length));
      break;
    }
  for (const std::string& arm : results.plan.arms) {
    table.arms.push_back(arm);
    table.summary.emplace_back();
    for (const std::string& name : names)
      table.summary.back().push_back(sample_of(results, arm, name, std::nullopt).summary);
  }
  return table;
}

}  // namespace attnlab::analysis
