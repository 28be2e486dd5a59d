#include "attnlab/run/tuning.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace attnlab {
namespace {

// The values as numbers, or nullopt if any is not one.
std::optional<std::vector<double>> numeric(const std::vector<std::string>& values) {
  std::vector<double> numbers;
  for (const std::string& value : values) {
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') return std::nullopt;
    numbers.push_back(number);
  }
  return numbers;
}

TuningCandidate candidate(const std::string& arm, const std::string& value,
                          const std::string& figure, const std::vector<TrialSummary>& trials) {
  TuningCandidate c;
  c.value = value;
  std::vector<double> figures;
  bool finite = true;
  for (const TrialSummary& t : trials) {
    if (t.arm != arm || t.tuned != value) continue;
    ++c.planned;
    c.failed += t.status == TrialStatus::failed;
    if (t.status != TrialStatus::finished) continue;
    ++c.finished;
    const auto it = std::find_if(t.metrics.begin(), t.metrics.end(),
                                 [&](const auto& m) { return m.first == figure; });
    if (it == t.metrics.end() || !std::isfinite(it->second))
      finite = false;
    else
      figures.push_back(it->second);
  }
  c.validation = summarize(figures);
  c.eligible = c.planned > 0 && c.finished == c.planned && finite;
  return c;
}

}  // namespace

std::vector<TunedArm> select_tuned_values(const Experiment& experiment,
                                          const std::vector<TrialSummary>& trials) {
  if (!experiment.tune) return {};
  const Tuning& tuning = *experiment.tune;
  const std::optional<std::vector<double>> numbers = numeric(tuning.values);
  std::vector<TunedArm> arms;
  for (const std::string& arm : experiment.arms) {
    TunedArm tuned{arm, {}, std::nullopt, false, false};
    for (const std::string& value : tuning.values) {
      tuned.candidates.push_back(candidate(arm, value, tuning.figure(), trials));
      const TuningCandidate& c = tuned.candidates.back();
      tuned.provisional = tuned.provisional || c.finished + c.failed < c.planned;
      if (!c.eligible) continue;
      const auto better = [&](double a, double b) {
        return tuning.lower_is_better ? a < b : a > b;
      };
      if (!tuned.selected ||
          better(c.validation.mean, tuned.candidates[*tuned.selected].validation.mean))
        tuned.selected = tuned.candidates.size() - 1;
    }
    if (tuned.selected && numbers) {
      const double chosen = (*numbers)[*tuned.selected];
      const auto range = std::minmax_element(numbers->begin(), numbers->end());
      tuned.at_edge = chosen == *range.first || chosen == *range.second;
    }
    arms.push_back(std::move(tuned));
  }
  return arms;
}

std::vector<TrialSummary> at_selected_values(const Experiment& experiment,
                                             const std::vector<TrialSummary>& trials) {
  if (!experiment.tune) return trials;
  const std::vector<TunedArm> arms = select_tuned_values(experiment, trials);
  std::vector<TrialSummary> kept;
  for (const TrialSummary& t : trials) {
    const auto arm =
        std::find_if(arms.begin(), arms.end(), [&](const TunedArm& a) { return a.arm == t.arm; });
    if (arm != arms.end() && arm->selected_value() && *arm->selected_value() == t.tuned)
      kept.push_back(t);
  }
  return kept;
}

std::string tuning_table(const Experiment& experiment, const std::vector<TrialSummary>& trials) {
  if (!experiment.tune) return "";
  const Tuning& tuning = *experiment.tune;
  std::string text = fmt::format(
      "Tuning: each arm trained at every {} in [{}], and reported above at the value whose "
      "{} (a validation evaluation drawn from a stream of its own, never the reported one), "
      "averaged over its seeds, is {}. A value that failed or diverged in any seed is not "
      "selected. Mean ± standard deviation over seeds:\n\n",
      tuning.key, fmt::join(tuning.values, ", "), tuning.figure(),
      tuning.lower_is_better ? "lowest" : "highest");
  text += fmt::format("| arm | {} | finished | failed | {} | selected |\n", tuning.key,
                      tuning.figure());
  text += "|---|---:|---:|---:|---:|---|\n";
  std::vector<std::string> notes;
  for (const TunedArm& arm : select_tuned_values(experiment, trials)) {
    for (std::size_t i = 0; i < arm.candidates.size(); ++i) {
      const TuningCandidate& c = arm.candidates[i];
      const SampleSummary& s = c.validation;
      const std::string figure = std::isnan(s.mean) ? std::string("–")
                                 : std::isnan(s.std)
                                     ? fmt::format("{:.4f}", s.mean)
                                     : fmt::format("{:.4f} ± {:.4f}", s.mean, s.std);
      std::string mark;
      if (arm.selected == i)
        mark = arm.at_edge ? "**selected** (at the edge of the grid)" : "**selected**";
      text += fmt::format("| {} | {} | {} | {} | {} | {} |\n", arm.arm, c.value, c.finished,
                          c.failed, figure, mark);
    }
    if (!arm.selected)
      notes.push_back(
          fmt::format("{}: no value can be selected yet (every value has a seed that "
                      "failed, diverged or has not run): the tables leave it out",
                      arm.arm));
    else if (arm.at_edge)
      notes.push_back(fmt::format(
          "{}: the selected {} = {} is at the edge of the grid; the best value may lie beyond it",
          arm.arm, tuning.key, *arm.selected_value()));
    if (arm.provisional)
      notes.push_back(fmt::format(
          "{}: some of its trials have not run: the selection may change when they do", arm.arm));
  }
  for (const std::string& note : notes) text += fmt::format("\n- {}", note);
  return text + (notes.empty() ? "" : "\n");
}

}  // namespace attnlab
