// An experiment file (docs/experiments.md): a base configuration, an ablation
// that expands it into arms, and seeds that repeat every arm. Loading one merges
// `base:` files and command-line overrides, expands every trial, fills in every
// default and validates all of them before anything runs; every error names the
// file, line and column, the dotted key, what was found and what was expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"

namespace attnlab {

/// Most trials (arms x seeds) one experiment may expand to; checked before the
/// ablation is expanded, so a runaway grid costs neither time nor memory.
inline constexpr std::size_t kMaxTrials = 10000;

/// One run of one arm with one seed.
struct Trial {
  int64_t index = 0;  // position in the plan (0-based)
  std::string id;     // stable: derived from the resolved configuration (seed included)
  std::string arm;    // label shared by the seeds of one arm, e.g. "heads.count=4"
  std::vector<std::pair<std::string, std::string>> axes;  // the ablation's values for this arm
  uint64_t seed = 0;
  std::string tuned;          // the value of the tuned key (tune:); "" without tuning
  ConfigNode config;          // fully resolved: every default filled in
  double memory_bytes = 0.0;  // its estimated memory need (validation's estimate)
};

/// What an experiment concludes from its numbers once it has run: each arm of
/// `versus` against `baseline` on one final figure (docs/experiments.md).
struct Conclusion {
  std::string figure;  // e.g. "eval_exact_match", "eval_accuracy@32", "train_loss"
  bool lower_is_better = false;
  std::string baseline;             // an arm's label
  std::vector<std::string> versus;  // arms' labels; every other arm by default
  /// Each arm against the baseline seed by seed: the mean of the seeds'
  /// differences with its paired t interval, instead of Welch's interval of
  /// the difference of means. Under one seed every arm draws the same batches
  /// and evaluation windows, so what a seed does to all of them cancels.
  bool paired = false;
};

/// When a seed counts as having solved the task (`solved:`): its final `figure`
/// at least `threshold` (at most, for a figure where lower is better). Tables
/// then report k of n seeds with a Clopper–Pearson interval.
struct SolvedRule {
  std::string figure;  // e.g. "eval_exact_match"
  double threshold = 0.0;
  bool at_most = false;
  bool solves(double value) const { return at_most ? value <= threshold : value >= threshold; }
  std::string describe() const;  // "eval_exact_match >= 0.99"
};

/// `tune:`: every arm is trained at each value of one training key, and
/// reported at the value whose validation figure, averaged over its seeds, is
/// best (docs/experiments.md, run/tuning.hpp).
struct Tuning {
  std::string key;                  // e.g. "train.lr"
  std::vector<std::string> values;  // as written, in order
  std::string metric = "loss";      // selected on eval_<metric>[validation]
  bool lower_is_better = true;
  // Seeds that only select (tune.seeds), never reported: the reported seeds
  // then carry no best-of-K optimism. Empty: select on the reported seeds.
  std::vector<uint64_t> seeds;
  std::string figure() const;  // "eval_loss[validation]"
  bool selects_only(uint64_t seed) const;
  /// The listed value that `value` is (same_tuned_value), or nullptr.
  const std::string* listed(const std::string& value) const;
};

/// A tuned value as a finite number (read as every number of a configuration
/// is: the same in every locale, nothing around it), or nullopt for text.
std::optional<double> tuned_number(const std::string& value);
/// Two values as written that are one value: the same text, or the same
/// number (3e-3 and 0.003).
bool same_tuned_value(const std::string& a, const std::string& b);

/// What validation may assume of the machine a trial will run on.
struct ValidationLimits {
  uint64_t memory_bytes = 0;  // memory one trial may need; 0 = what is available now
  // Whether train.init_from is read and checked against the model: not by
  // what only reads a run's results (merge), which trains nothing from it.
  bool read_initial_weights = true;
};
/// "512M", "8G", "1.5GiB", "1048576" (bytes) into bytes; ConfigError naming `what` otherwise.
uint64_t parse_byte_size(const std::string& text, const std::string& what);
/// "1.5 GiB", "12 MiB", "800 B".
std::string format_bytes(double bytes);

struct Experiment {
  std::string name;
  std::string path;                    // the YAML file ("" for the built-in default)
  std::string source_text;             // the file as given
  std::vector<std::string> overrides;  // -o key=value, in order
  ConfigNode document;                 // after base: and overrides, before expansion
  ConfigNode resolved;     // the document with every default filled in (ablation and seeds kept)
  std::string output_dir;  // absolute
  std::vector<std::string> arms;  // labels in plan order
  std::vector<Trial> trials;
  double largest_trial_bytes = 0;        // the largest estimated memory need of one trial
  std::optional<Conclusion> conclusion;  // from `conclusion:`, checked against the arms
  std::optional<SolvedRule> solved;      // from `solved:`, checked against the figures
  std::optional<Tuning> tune;            // from `tune:`; each trial's value is Trial::tuned
};

/// What the trials are: "4 arms x 5 seeds", or under tune: "2 arms x 3 values
/// of train.lr x 5 seeds".
std::string describe_trials(const Experiment& experiment);

/// Loads, expands and validates `path` with `-o key=value` overrides applied in
/// order. Plugins named in the file are loaded first.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides = {},
                           const ValidationLimits& limits = {});
/// An experiment from YAML text, as if read from a file called `origin` in the
/// current directory (its name is origin's stem); what load_experiment does after reading.
Experiment experiment_from_text(const std::string& text, const std::string& origin,
                                const std::vector<std::string>& overrides = {},
                                const ValidationLimits& limits = {});
/// The built-in default experiment (single-head vs multi-head), as if read from
/// a file called "<default>"; output relative to the current directory.
Experiment default_experiment(const std::vector<std::string>& overrides = {},
                              const ValidationLimits& limits = {});
/// The YAML text of the default experiment.
const std::string& default_experiment_text();

/// Every key an experiment file may hold (type, default, meaning) as a
/// markdown table; component parameters are listed by `attnlab plugins`.
std::string experiment_keys_markdown();

/// Stable hash (16 hex digits) of a resolved configuration's YAML text.
std::string config_hash(const std::string& yaml_text);

/// The trial whose id or 0-based index is `which`; a ConfigError lists the choices otherwise.
const Trial& find_trial(const Experiment& experiment, const std::string& which);

}  // namespace attnlab
