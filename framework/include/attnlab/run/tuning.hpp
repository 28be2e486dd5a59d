// Per-arm tuning (`tune:`): the value each arm is reported at, chosen on its
// validation evaluation (eval_<metric>[validation], drawn from a stream of its
// own) and never on the figures the tables report. The rule: the value whose
// validation figure, averaged over the arm's seeds, is best. One value per arm,
// not per seed: a seed's own best value would use that seed's luck twice (to
// choose and to report), and a value is what a reader would train with.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab {

/// One value of the tuned key for one arm.
struct TuningCandidate {
  std::string value;
  int64_t planned = 0, finished = 0;
  int64_t diverged = 0;          // its training did: a result, final
  int64_t failed = 0;            // for another reason: it runs again
  SampleSummary validation;      // of the finished seeds' validation figure
  double validation_loss = 0.0;  // its mean validation loss: breaks a tie on accuracy
  /// Every planned seed finished with a finite validation figure: a value
  /// that diverged in any seed is not one to train with; one that failed
  /// otherwise (the machine's fault: it may rerun) or has not run waits.
  bool eligible = false;
};

struct TunedArm {
  std::string arm;
  std::vector<TuningCandidate> candidates;  // in the order tune: lists the values
  std::optional<std::size_t> selected;      // into candidates; nullopt: none eligible
  /// Some selecting trial of the arm has not run yet, or failed for a reason
  /// other than divergence: the choice may change when it runs.
  bool provisional = false;
  /// The selected value is the smallest or the largest of the (numeric) values:
  /// the best may lie beyond the grid.
  bool at_edge = false;
  const std::string* selected_value() const {
    return selected ? &candidates[*selected].value : nullptr;
  }
};

/// Each arm's tuning, in plan order: the eligible value with the best mean
/// validation figure (lower for a loss); on a tie (an accuracy of 1 at several
/// values) the lower mean validation loss, then the first listed. Reads only
/// the tuning's validation figure, of the selecting seeds (tune.seeds; every
/// seed without them). Empty without tune:.
std::vector<TunedArm> select_tuned_values(const Experiment& experiment,
                                          const std::vector<TrialSummary>& trials);

/// Why no value of an arm with nothing pending (not provisional) can be
/// selected: "every value diverged in a seed", or gave a non-finite figure.
std::string unselectable_reason(const TunedArm& arm);

/// The trials the tables report: each arm's trials at its selected value,
/// selecting seeds left out (none for an arm without one); every trial
/// without tune:.
std::vector<TrialSummary> at_selected_values(const Experiment& experiment,
                                             const std::vector<TrialSummary>& trials);

/// results.md's tuning section (markdown): the rule, then one row per arm and
/// value with its validation figure, the selected value marked and values at
/// the grid's edge flagged. "" without tune:.
std::string tuning_table(const Experiment& experiment, const std::vector<TrialSummary>& trials);

}  // namespace attnlab
