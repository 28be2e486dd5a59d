#include "attnlab/run/tuning.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "arm_rows.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {
namespace {

// The values as numbers, or nullopt if any is not one.
std::optional<std::vector<double>> numeric(const std::vector<std::string>& values) {
  std::vector<double> numbers;
  for (const std::string& value : values) {
    const std::optional<double> number = tuned_number(value);
    if (!number) return std::nullopt;
    numbers.push_back(*number);
  }
  return numbers;
}

// Whether trial `t` takes part in the selection: a selecting seed, or, without
// any (tune.seeds), every seed.
bool selects(const Tuning& tuning, const TrialSummary& t) {
  return tuning.seeds.empty() || tuning.selects_only(t.seed);
}

TuningCandidate candidate(const std::string& arm, const std::string& value, const Tuning& tuning,
                          const std::vector<TrialSummary>& trials) {
  TuningCandidate c;
  c.value = value;
  const std::string figure = tuning.figure();
  const std::string loss = fmt::format("eval_loss[{}]", kValidationSetting);
  std::vector<double> figures, losses;
  bool finite = true;
  const auto value_of = [](const TrialSummary& t, const std::string& name) {
    const auto it = std::find_if(t.metrics.begin(), t.metrics.end(),
                                 [&](const auto& m) { return m.first == name; });
    return it == t.metrics.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  };
  for (const TrialSummary& t : trials) {
    if (t.arm != arm || t.tuned != value || !selects(tuning, t)) continue;
    ++c.planned;
    c.failed += t.status == TrialStatus::failed && !diverged(t);
    c.diverged += diverged(t);
    if (t.status != TrialStatus::finished) continue;
    ++c.finished;
    const double v = value_of(t, figure);
    finite = finite && std::isfinite(v);
    if (std::isfinite(v)) figures.push_back(v);
    losses.push_back(value_of(t, loss));
  }
  c.validation = summarize(figures);
  c.validation_loss = summarize(losses).mean;
  c.eligible = c.planned > 0 && c.finished == c.planned && finite;
  return c;
}

// Whether candidate `a` beats `b`: a better mean figure, or the same and a
// lower validation loss (several values at an accuracy of 1).
bool better(const Tuning& tuning, const TuningCandidate& a, const TuningCandidate& b) {
  const double x = a.validation.mean, y = b.validation.mean;
  if (x != y) return tuning.lower_is_better ? x < y : x > y;
  return a.validation_loss < b.validation_loss;
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
      tuned.candidates.push_back(candidate(arm, value, tuning, trials));
      const TuningCandidate& c = tuned.candidates.back();
      tuned.provisional = tuned.provisional || c.finished + c.diverged < c.planned;
      if (!c.eligible) continue;
      if (!tuned.selected || better(tuning, c, tuned.candidates[*tuned.selected]))
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

std::string unselectable_reason(const TunedArm& arm) {
  const auto diverged = std::count_if(arm.candidates.begin(), arm.candidates.end(),
                                      [](const TuningCandidate& c) { return c.diverged > 0; });
  if (diverged == static_cast<std::ptrdiff_t>(arm.candidates.size()))
    return "every value diverged in a seed";
  return diverged == 0 ? "every value gave a non-finite validation figure in a seed"
                       : "every value diverged or gave a non-finite validation figure in a seed";
}

std::vector<TrialSummary> at_selected_values(const Experiment& experiment,
                                             const std::vector<TrialSummary>& trials) {
  if (!experiment.tune) return trials;
  const std::vector<TunedArm> arms = select_tuned_values(experiment, trials);
  std::vector<TrialSummary> kept;
  for (const TrialSummary& t : trials) {
    const auto arm =
        std::find_if(arms.begin(), arms.end(), [&](const TunedArm& a) { return a.arm == t.arm; });
    if (arm != arms.end() && arm->selected_value() && *arm->selected_value() == t.tuned &&
        !experiment.tune->selects_only(t.seed))
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
      "averaged over {}, is {}. A value whose training diverged in any of them is not "
      "selected, nor one with a trial that failed otherwise or has not run (until it has); "
      "the results table counts each arm's trials at its selected value only. {} "
      "Mean ± standard deviation over the selecting seeds:\n\n",
      tuning.key, fmt::join(tuning.values, ", "), tuning.figure(),
      tuning.seeds.empty() ? "its seeds" : fmt::format("seeds {}", fmt::join(tuning.seeds, ", ")),
      tuning.lower_is_better ? "lowest" : "highest",
      tuning.seeds.empty()
          ? "The same seeds select and are reported: their validation and test figures come "
            "from the same trained models, so each arm's reported figures carry the optimism "
            "of the best of its values (tune.seeds: selects on seeds of its own instead)."
          : "Those seeds only select; the table above reports the other seeds, which played "
            "no part in the choice.");
  // Selecting on an accuracy, the validation loss breaks ties (several values at 1).
  const bool tie_breaker = !tuning.lower_is_better;
  const std::vector<TunedArm> arms = select_tuned_values(experiment, trials);
  const bool any_diverged = std::any_of(arms.begin(), arms.end(), [](const TunedArm& arm) {
    return std::any_of(arm.candidates.begin(), arm.candidates.end(),
                       [](const TuningCandidate& c) { return c.diverged > 0; });
  });
  text += fmt::format("| arm | {} | finished |{} failed | {} |{} selected |\n", tuning.key,
                      any_diverged ? " diverged |" : "", tuning.figure(),
                      tie_breaker ? " eval_loss[validation] (breaks ties) |" : "");
  text += fmt::format("|---|---:|---:|---:|---:|{}{}---|\n", any_diverged ? "---:|" : "",
                      tie_breaker ? "---:|" : "");
  std::vector<std::string> notes;
  for (const TunedArm& arm : arms) {
    for (std::size_t i = 0; i < arm.candidates.size(); ++i) {
      const TuningCandidate& c = arm.candidates[i];
      const SampleSummary& s = c.validation;
      const std::string figure =
          std::isnan(s.mean)  ? std::string("–")
          : s.std == 0.0      ? fmt::format("{:.6g}", s.mean)  // every seed alike, as tables show
          : std::isnan(s.std) ? fmt::format("{:.4f}", s.mean)
                              : fmt::format("{:.4f} ± {:.4f}", s.mean, s.std);
      std::string mark;
      if (arm.selected == i)
        mark = arm.at_edge ? "**selected** (at the edge of the grid)" : "**selected**";
      const std::string tie_cell = !tie_breaker ? ""
                                   : std::isnan(c.validation_loss)
                                       ? " – |"
                                       : fmt::format(" {:.4f} |", c.validation_loss);
      text += fmt::format("| {} | {} | {} |{} {} | {} |{} {} |\n", arm.arm, c.value, c.finished,
                          any_diverged ? fmt::format(" {} |", c.diverged) : "", c.failed, figure,
                          tie_cell, mark);
    }
    if (!arm.selected && arm.provisional)
      notes.push_back(
          fmt::format("{}: no value can be selected yet (every value has a seed that "
                      "failed, diverged or has not run): the results table has no figures "
                      "for it",
                      arm.arm));
    else if (!arm.selected)
      notes.push_back(fmt::format(
          "{}: no value can be selected, and none will be: {} (results, which no run "
          "repeats; a grid of other values might train). The results table has no figures "
          "for it",
          arm.arm, unselectable_reason(arm)));
    else if (arm.at_edge)
      notes.push_back(fmt::format(
          "{}: the selected {} = {} is at the edge of the grid; the best value may lie beyond it",
          arm.arm, tuning.key, *arm.selected_value()));
    if (arm.provisional)
      notes.push_back(fmt::format(
          "{}: provisional: some of its selecting trials have not run, or failed for a reason "
          "other than divergence; the selection may change when they run",
          arm.arm));
  }
  for (const std::string& note : notes) text += fmt::format("\n- {}", note);
  return text + (notes.empty() ? "" : "\n");
}

}  // namespace attnlab
