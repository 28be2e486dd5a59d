#include "attnlab/run/results.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "arm_rows.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/stats/bounded_intervals.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab {
namespace {

constexpr const char* kSolvedGroup = "arms/solved";  // no figure has these names
constexpr const char* kTunedGroup = "arms/tuned";

// Metric names in order of first appearance over the trials.
std::vector<std::string> metric_names(const std::vector<TrialSummary>& trials) {
  std::vector<std::string> names;
  for (const TrialSummary& t : trials)
    for (const auto& [name, value] : t.metrics)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
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
  std::string text = "arm,finished,failed,diverged";
  if (experiment.tune) text += ",tuned_value,tuned_at_edge,tuned_provisional";
  if (rule) text += ",solved,solved_seeds,solved_low,solved_high";
  for (const std::string& m : metrics)
    for (const SummaryField& field : kSummaryFields)
      text += fmt::format(",{}", csv_field(fmt::format("{}_{}", m, field.name)));
  text += "\n";
  for (const ArmRow& row : arm_rows(experiment, trials)) {
    text +=
        fmt::format("{},{},{},{}", csv_field(row.label), row.finished, row.failed, row.diverged);
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
                        status_text(t), number(t.seconds));
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
  std::vector<int32_t> finished_counts, failed_counts, diverged_counts;
  for (const ArmRow& row : rows) {
    labels.push_back(row.label);
    finished_counts.push_back(static_cast<int32_t>(row.finished));
    failed_counts.push_back(static_cast<int32_t>(row.failed));
    diverged_counts.push_back(static_cast<int32_t>(row.diverged));
  }
  const int64_t arms = static_cast<int64_t>(rows.size());
  file.create_group("arms");
  file.set_attribute("arms", "labels", labels);
  file.write_ints("arms/finished", finished_counts, {arms});
  file.write_ints("arms/failed", failed_counts, {arms});
  file.write_ints("arms/diverged", diverged_counts, {arms});
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
    std::vector<std::string> finished, failed, reasons, diverged_ids, divergences;
    for (const TrialSummary& t : trials) {
      if (t.status == TrialStatus::finished) {
        file.link_external("trials/" + t.id, OutputLayout::trial_link_target(t.id), "/");
        finished.push_back(t.id);
      } else if (diverged(t)) {
        diverged_ids.push_back(t.id);
        divergences.push_back(t.failure);
      } else if (t.status == TrialStatus::failed) {
        failed.push_back(t.id);
        reasons.push_back(t.failure);
      }
    }
    file.set_attribute("trials", "finished", finished);
    file.set_attribute("trials", "failed", failed);
    file.set_attribute("trials", "failure_reasons", reasons);
    file.set_attribute("trials", "diverged", diverged_ids);
    file.set_attribute("trials", "divergence_reasons", divergences);
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
  const std::vector<ArmRow> rows = arm_rows(experiment, trials);
  const bool any_diverged =
      std::any_of(rows.begin(), rows.end(), [](const ArmRow& row) { return row.diverged > 0; });
  std::string text =
      any_diverged ? "| arm | finished | diverged | failed |" : "| arm | finished | failed |";
  std::string rule = any_diverged ? "|---|---:|---:|---:|" : "|---|---:|---:|";
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
  for (const ArmRow& row : rows) {
    text += fmt::format("| {} | {} |{} {} |", row.label, row.finished,
                        any_diverged ? fmt::format(" {} |", row.diverged) : "", row.failed);
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

const char* const kResultsTableLegend =
    "Mean ± standard deviation [95% interval of the mean] over each arm's finished seeds. The "
    "interval is the expanded percentile bootstrap (Hesterberg 2015): from every resample of "
    "up to 9 seeds (no random draw), and within the seeds' range, so within the figure's; "
    "none where every seed gave the same value. It covers the mean about 93% of the time at 5 "
    "seeds; with 2, 3 or 4 seeds it is (nearly) the seeds' range, which covers it only about "
    "50%, 75% or 88% of the time. Student-t intervals are in results.csv (_ci_low, _ci_high) "
    "and `attnlab compare --interval t`. A seed whose training diverged has no figures: it "
    "is counted under diverged (a column shown when any did; a result of its configuration, "
    "which no later run repeats by itself) and as not solved; failed counts the seeds that "
    "failed otherwise (a later run runs them again).";

std::string results_table_key(const Experiment& experiment) {
  return std::string(
             "[low, high]: 95% interval of the mean (expanded percentile bootstrap, within the "
             "seeds' range; with fewer than 5 seeds it covers the mean less often: results.md "
             "says how often).") +
         (experiment.tune ? " (edge): a tuned value at an end of its grid." : "");
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
