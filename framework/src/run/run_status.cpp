#include "attnlab/run/run_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_holder.hpp"

namespace attnlab {
namespace {

TrialState state_of(const TrialSummary& summary, const OutputLayout& layout,
                    const ClaimsProbe& claims, int64_t now) {
  TrialState state{TrialState::Kind::missing,
                   summary.index,
                   summary.id,
                   summary.arm,
                   summary.seed,
                   summary.tuned,
                   summary.failure};
  if (summary.status == TrialStatus::finished) {
    state.kind = TrialState::Kind::finished;
    return state;
  }
  const std::optional<TrialHolder> holder = read_holder(layout.holder(summary.id));
  if (claims.held(summary.index)) {
    state.kind = TrialState::Kind::running;
    state.detail = holder ? describe_holder(*holder, now) : "by a run of this plan";
    return state;
  }
  if (summary.status == TrialStatus::failed) {
    state.kind = diverged(summary) ? TrialState::Kind::diverged : TrialState::Kind::failed;
    return state;
  }
  std::error_code absent;  // only whether it is there: the run checks it before using it
  const bool resumable = std::filesystem::exists(layout.resume_point(summary.id), absent);
  const std::string next_run =
      resumable ? fmt::format("the next run resumes it from its checkpoint ({})",
                              layout.resume_point(summary.id).filename().string())
                : "the next run runs it again";
  if (holder)  // its run ended without finishing it, and without saying why: killed
    state.detail = fmt::format("its run ended while running it ({}); {}",
                               describe_holder(*holder, now), next_run);
  else if (!summary.failure.empty())
    state.detail = summary.failure + "; " + next_run;
  else if (resumable)
    state.detail = next_run;
  return state;
}

}  // namespace

std::string to_string(TrialState::Kind kind) {
  switch (kind) {
    case TrialState::Kind::finished:
      return "finished";
    case TrialState::Kind::diverged:
      return "diverged";
    case TrialState::Kind::failed:
      return "failed";
    case TrialState::Kind::running:
      return "running";
    case TrialState::Kind::missing:
      return "missing";
  }
  return "?";
}

int64_t RunStatus::count(TrialState::Kind kind) const {
  return std::count_if(trials.begin(), trials.end(),
                       [&](const TrialState& state) { return state.kind == kind; });
}

RunStatus read_run_status(const OutputLayout& layout, int64_t now) {
  const Experiment plan = read_plan(layout);
  return run_status_from(plan, collect_summaries(plan, layout), layout, now);
}

RunStatus run_status_from(const Experiment& plan, const std::vector<TrialSummary>& summaries,
                          const OutputLayout& layout, int64_t now) {
  RunStatus status{plan, {}};
  status.plan.trials.clear();  // names, arms and indices; no configurations to carry
  for (const Trial& trial : plan.trials) {
    Trial named;
    named.index = trial.index;
    named.id = trial.id;
    named.arm = trial.arm;
    named.seed = trial.seed;
    status.plan.trials.push_back(std::move(named));
  }
  const ClaimsProbe claims(layout);
  for (const TrialSummary& summary : summaries)
    status.trials.push_back(state_of(summary, layout, claims, now));
  return status;
}

std::string index_ranges(const std::vector<TrialState>& trials, TrialState::Kind kind) {
  std::vector<int64_t> indices;
  for (const TrialState& state : trials)
    if (state.kind == kind) indices.push_back(state.index);
  std::sort(indices.begin(), indices.end());
  std::string text;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    text += fmt::format("{}#{}", text.empty() ? "" : ", ", indices[i]);
    if (j > i) text += fmt::format("-#{}", indices[j]);
    i = j + 1;
  }
  return text;
}

}  // namespace attnlab
