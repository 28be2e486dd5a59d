// What an experiment's results table and its conclusion both read: each arm's
// figures over its seeds, its solved count and its tuned value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/stats/bounded_intervals.hpp"

namespace attnlab {

// One arm's finished trials, those whose training diverged and those that
// failed otherwise, and every figure's values over the finished ones.
struct ArmRow {
  std::string label;
  int64_t finished = 0, failed = 0, diverged = 0;
  std::map<std::string, std::vector<double>> values;
};

// The rows of the experiment's arms, in its order, from `trials` (of any arm).
std::vector<ArmRow> arm_rows(const Experiment& experiment, const std::vector<TrialSummary>& trials);

// How many of an arm's finished seeds solved the task by `rule`, with the
// Clopper–Pearson interval of that share (a seed whose figure is NaN did not).
struct SolvedCount {
  int64_t solved = 0, seeds = 0;
  Interval interval;
};
SolvedCount solved_count(const std::vector<TrialSummary>& trials, const std::string& arm,
                         const SolvedRule& rule);
// "k of n [low, high]", or "–" without seeds.
std::string format_solved(const SolvedCount& count);

// The tuned value a table shows for an arm: the selected one, flagged at the
// grid's edge, or how far its tuning has got when none can be selected yet.
std::string selected_value_text(const TunedArm& arm);

}  // namespace attnlab
