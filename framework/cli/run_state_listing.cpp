#include "run_state_listing.hpp"

#include <fmt/format.h>

namespace attnlab::cli {
namespace {

using Kind = TrialState::Kind;

std::string trial_line(const TrialState& state) {
  return fmt::format("  #{} {} seed {}{}", state.index, state.arm, state.seed,
                     state.tuned.empty() ? "" : fmt::format(", tuned value {}", state.tuned));
}

std::string listed(const RunStatus& status, const OutputLayout& layout, Kind kind,
                   std::size_t most) {
  std::string text;
  std::size_t shown = 0, left = 0;
  for (const TrialState& state : status.trials) {
    if (state.kind != kind) continue;
    if (kind == Kind::missing && state.detail.empty()) continue;  // the ranges say it
    if (most > 0 && shown == most) {
      ++left;
      continue;
    }
    ++shown;
    text += trial_line(state) + ": " + state.detail + "\n";
    if (kind == Kind::failed || kind == Kind::diverged)
      text += fmt::format("    log: {}\n", layout.log(state.id).string());
    if (kind == Kind::diverged)
      text += fmt::format("    marker: {}\n", layout.failure(state.id).string());
  }
  if (left > 0) text += fmt::format("  ... and {} more (--all lists every one)\n", left);
  return text;
}

}  // namespace

std::string state_counts(const RunStatus& status) {
  const int64_t diverged = status.count(Kind::diverged);
  return fmt::format(
      "finished {}, {}failed {}, running {}, missing {} (of {})", status.count(Kind::finished),
      diverged > 0 ? fmt::format("diverged {}, ", diverged) : "", status.count(Kind::failed),
      status.count(Kind::running), status.count(Kind::missing), status.trials.size());
}

std::string completion_text(const RunStatus& status) {
  const int64_t diverged = status.count(Kind::diverged);
  if (diverged == 0) return "every trial finished";
  return fmt::format(
      "nothing left to run: {} finished, {} diverged (a result of their configuration)",
      status.count(Kind::finished), diverged);
}

std::string state_listing(const RunStatus& status, const OutputLayout& layout, std::size_t most) {
  std::string text;
  if (status.count(Kind::running) > 0)
    text += "running:\n" + listed(status, layout, Kind::running, most);
  if (status.count(Kind::diverged) > 0)
    text +=
        "diverged (a result of their configuration: no run of the plan runs them again; "
        "delete a trial's marker to run it again):\n" +
        listed(status, layout, Kind::diverged, most);
  if (status.count(Kind::failed) > 0)
    text += "failed (a run of the plan runs them again):\n" +
            listed(status, layout, Kind::failed, most);
  if (status.count(Kind::missing) > 0)
    text += fmt::format("missing: {}\n{}", index_ranges(status.trials, Kind::missing),
                        listed(status, layout, Kind::missing, most));
  return text;
}

}  // namespace attnlab::cli
