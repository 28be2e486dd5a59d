// What an output directory of `attnlab run` holds, read for analysis: its plan
// (arms in plan order, trials) and the summary of every trial, each trial file
// checked before it is believed (results.hpp), plus the learning curves the
// files store. Only reads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab::analysis {

struct ExperimentResults {
  OutputLayout layout;
  Experiment plan;  // name, arms, trials, tuning (no configurations)
  /// The trials every analysis reads, in plan order: one per planned trial, or
  /// under tune: each arm's trials at its selected value, selecting seeds left
  /// out (run/tuning.hpp), so that no table pools values.
  std::vector<TrialSummary> trials;
  std::vector<TrialSummary> all_trials;  // every planned trial, tuned values included
  /// Set by at_tuned_value: every arm is read at this value, not its selected one.
  std::optional<std::string> fixed_tuned_value;
  /// The finished trials of one arm, in plan order.
  std::vector<const TrialSummary*> finished(const std::string& arm) const;
  /// The final figure names any finished trial holds (at any tuned value), in
  /// first-seen order.
  std::vector<std::string> figures() const;
  /// Under tune:, one line per arm naming the value it is reported at (and
  /// flagging one at the grid's edge, a provisional one, or none selected);
  /// empty otherwise.
  std::vector<std::string> tuning_notes() const;
};

/// Reads `dir`: ConfigError when it holds no plan, IoError for files that
/// cannot be read. A damaged or unfinished trial file counts as not finished
/// (its reason in TrialSummary::failure), never as a result.
ExperimentResults read_experiment_results(const std::filesystem::path& dir);

/// `results` read with every arm at `value` of the tuned key (its reported
/// seeds, the selecting ones left out) instead of at its selected value: how
/// the arms compare at one rate, whichever each would choose. ConfigError
/// without tune:, or naming the tuned values when `value` is none of them
/// (numbers compare as numbers: 3e-3 is 0.003).
ExperimentResults at_tuned_value(ExperimentResults results, const std::string& value);

/// One figure's curve over training: the steps and the values at them.
struct Curve {
  std::vector<int64_t> steps;
  std::vector<double> values;
};

/// The curve in trial file `path` behind final figure `figure`: `train_loss`
/// (every step), `eval_<m>` (at the training length), `eval_<m>@L` (length L),
/// `eval_<m>[<setting>]` (an eval.settings evaluation). IoError naming the
/// file and the dataset when the file has no such curve.
Curve read_curve(const std::filesystem::path& path, const std::string& figure);

}  // namespace attnlab::analysis
