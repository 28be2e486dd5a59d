// An experiment's output directory and its results: the per-trial files, and
// the experiment-level index (results.h5), tables (results.csv per arm,
// trials.csv per trial) and report (results.md). Layout: docs/hdf5-layout.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/io/output_layout.hpp"

namespace attnlab {

enum class TrialStatus { finished, failed, pending };
std::string to_string(TrialStatus status);

struct TrialSummary {
  std::string id;
  int64_t index = 0;
  std::string arm;
  uint64_t seed = 0;
  std::string tuned;  // the tuned key's value (tune:), from the plan; "" without tuning
  TrialStatus status = TrialStatus::pending;
  double seconds = 0.0;
  std::vector<std::pair<std::string, std::string>> axes;  // the arm's ablation values (key, value)
  std::vector<std::pair<std::string, double>> metrics;    // final figures, e.g. eval_accuracy
  std::string failure;                                    // the reason, when failed
};

/// Whether a trial failed because its training diverged (a property of its
/// configuration, not of the machine: it would diverge again).
bool diverged(const TrialSummary& trial);
/// Whether a failure reason is a divergence: it starts with the trainer's
/// kDivergedMessage (one that only mentions it, e.g. a write that failed
/// beside a divergence, is not).
bool is_divergence(const std::string& reason);
/// Whether a trial's outcome is final: finished, or diverged. A run of the plan
/// runs neither again (delete a diverged trial's marker, trials/<id>.failed, to
/// run it again); one that failed otherwise, or has not run, is run.
bool settled(const TrialSummary& trial);
/// A trial's status as trials.csv and status listings say it: "finished",
/// "diverged", "failed" or "pending".
std::string status_text(const TrialSummary& trial);

/// The reason in trial `id`'s failure marker, without its trailing newlines;
/// "" when it has none.
std::string failure_marker_reason(const OutputLayout& layout, const std::string& id);

/// Reads the summary of a trial file. Refuses (IoError naming the damage) a file
/// written with a newer results schema, one whose attributes do not match its
/// seal, and, given `id`, one that does not hold trial `id`'s configuration.
TrialSummary read_trial_summary(const std::string& path, const std::string& id = "");

/// What the output directory holds for trial `id`: no file, a finished file
/// that passes every check (its datasets' checksums included), a file of an
/// unfinished run, or a damaged one (emptied by a power loss, corrupted, copied
/// from another trial). Only reads.
struct TrialFileState {
  enum class Kind { absent, finished, unfinished, damaged };
  Kind kind = Kind::absent;
  std::string damage;  // what check a damaged file fails
  bool finished() const { return kind == Kind::finished; }
};
TrialFileState inspect_trial_file(const OutputLayout& layout, const std::string& id);

/// Moves trial `id`'s damaged file to trials/unreadable/ (kept for a post-mortem,
/// and no longer in the way of the trial running again). Returns what was moved
/// where, and `damage`. Throws IoError if the file is there and cannot be moved.
std::string set_aside_damaged_file(const OutputLayout& layout, const std::string& id,
                                   const std::string& damage);

/// The summary of every trial of the plan, from what is in the output directory.
std::vector<TrialSummary> collect_summaries(const Experiment& experiment,
                                            const OutputLayout& layout);

/// One row per arm: mean ± std [bootstrap interval] over finished seeds of
/// every final metric, finished/diverged/failed counts and, with a `solved:` rule, k of
/// n seeds solved with the Clopper–Pearson interval (markdown). Under `tune:`
/// each arm's row is of its trials at its selected value (run/tuning.hpp),
/// named in a column of its own; the functions below take every trial and do
/// the same.
std::string results_table(const Experiment& experiment, const std::vector<TrialSummary>& trials);
/// What results_table shows, said above it in results.md.
extern const char* const kResultsTableLegend;
/// The same in one line, below the table where a run prints it (the grid's edge
/// named only under tune:).
std::string results_table_key(const Experiment& experiment);

/// The experiment's `conclusion:` computed from the finished seeds, one line per
/// compared arm: the difference of means with its 95% interval (Welch) and
/// what it shows, then, with a `solved:` rule, k of n seeds solved per
/// compared arm; "" when the experiment asks for none.
std::string conclusion_text(const Experiment& experiment, const std::vector<TrialSummary>& trials);

/// Writes results.h5 (external links to finished trials plus the tables),
/// results.csv, trials.csv and results.md, each atomically.
void write_results(const Experiment& experiment, const OutputLayout& layout,
                   const std::vector<TrialSummary>& trials);

/// Collects the summaries and writes the results under an exclusive lock on the
/// output directory, so that shares finishing at the same time cannot replace a
/// newer table with an older one. Returns the summaries written.
std::vector<TrialSummary> update_results(const Experiment& experiment, const OutputLayout& layout);

}  // namespace attnlab
