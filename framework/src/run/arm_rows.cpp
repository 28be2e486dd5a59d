#include "arm_rows.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace attnlab {

std::vector<ArmRow> arm_rows(const Experiment& experiment,
                             const std::vector<TrialSummary>& trials) {
  std::vector<ArmRow> rows;
  for (const std::string& arm : experiment.arms) rows.push_back({arm, 0, 0, 0, {}});
  for (const TrialSummary& t : trials) {
    auto row =
        std::find_if(rows.begin(), rows.end(), [&](const ArmRow& r) { return r.label == t.arm; });
    if (row == rows.end()) continue;
    row->finished += t.status == TrialStatus::finished;
    row->failed += t.status == TrialStatus::failed && !diverged(t);
    row->diverged += diverged(t);
    for (const auto& [name, value] : t.metrics) row->values[name].push_back(value);
  }
  return rows;
}

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

std::string selected_value_text(const TunedArm& arm) {
  if (arm.selected)
    return *arm.selected_value() + (arm.at_edge ? " (edge)" : "") +
           (arm.provisional ? " (provisional)" : "");
  int64_t finished = 0, planned = 0;
  for (const TuningCandidate& c : arm.candidates) {
    finished += c.finished;
    planned += c.planned;
  }
  if (!arm.provisional)  // every selecting trial has finished or diverged: none will come
    return fmt::format("none ({})", unselectable_reason(arm));
  return fmt::format("none yet ({} of {} selecting trials finished)", finished, planned);
}

}  // namespace attnlab
