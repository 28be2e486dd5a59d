// Where a run of a plan stands, read from its output directory alone (the plan,
// the trial files, failure markers, who holds what): what `attnlab status`
// prints and `attnlab merge` reports. Only reads; cheap enough to call often
// (a trial file's seal is checked, not every value).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/io/output_layout.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab {

struct TrialState {
  /// diverged: its training did (a result of its configuration, final like
  /// finished); failed: for another reason (a run of the plan runs it again).
  enum class Kind { finished, diverged, failed, running, missing };
  Kind kind = Kind::missing;
  int64_t index = 0;
  std::string id, arm;
  uint64_t seed = 0;
  std::string tuned;  // the tuned key's value (tune:); "" without tuning
  /// failed, diverged: the reason; running: who holds it; missing: why, when there is
  /// more to say than "not run yet" (a damaged file, a holder that is gone).
  std::string detail;
};
std::string to_string(TrialState::Kind kind);

struct RunStatus {
  Experiment plan;  // read_plan's: names, arms and trials, no configuration
  std::vector<TrialState> trials;
  int64_t count(TrialState::Kind kind) const;
  /// Every trial finished or diverged: no run of the plan has any left to run.
  bool complete() const {
    return count(TrialState::Kind::finished) + count(TrialState::Kind::diverged) ==
           static_cast<int64_t>(trials.size());
  }
};

/// ConfigError if `layout` holds no plan. `now`: Unix time, for how long holders have held.
RunStatus read_run_status(const OutputLayout& layout, int64_t now);
/// The same from summaries already collected (collect_summaries) of `plan`'s trials.
RunStatus run_status_from(const Experiment& plan, const std::vector<TrialSummary>& summaries,
                          const OutputLayout& layout, int64_t now);

/// "#3, #7-#12, #40" for the plan indices of `trials` of kind `kind`.
std::string index_ranges(const std::vector<TrialState>& trials, TrialState::Kind kind);

}  // namespace attnlab
