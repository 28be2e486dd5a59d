// Activation patching (the causal-tracing step of TransformerLens and pyvene):
// run a trained model on a corrupted input, replace one named activation (or
// one head of it) with its value on the clean input, and measure how much of
// the clean behaviour that restores. docs/analysis.md has the definitions.
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/analysis/trained_trial.hpp"
#include "attnlab/named_choices.hpp"

namespace attnlab::analysis {

/// How the corrupted input is made from the clean one.
enum class Corruption {
  shuffle,   // each example's input tokens in another order (permutation_sensitivity.hpp)
  resample,  // other examples of the task, from the trial's "corrupted" stream
};
const NamedChoices<Corruption>& corruption_names();  // shuffle | resample

struct PatchResult {
  std::string activation;  // the dotted recording name patched
  int64_t head = -1;       // the head patched alone, or -1 for the whole tensor
  // Loss and accuracy against the clean input's targets: on the clean input, on
  // the corrupted one, and on the corrupted one with the activation patched.
  double clean_loss = 0.0, corrupted_loss = 0.0, patched_loss = 0.0;
  double clean_accuracy = 0.0, corrupted_accuracy = 0.0, patched_accuracy = 0.0;
  /// (corrupted_loss - patched_loss) / (corrupted_loss - clean_loss): 1 when the
  /// patch restores the clean loss, 0 when it changes nothing; NaN when the
  /// corruption did not change the loss.
  double restored = 0.0;
};

/// What patching one trial gave, and what it could not patch and why (no
/// activation of that name, no head axis, fewer heads than `head`).
struct PatchOutcome {
  std::vector<PatchResult> results;
  std::vector<std::string> skipped;
};

/// Patches every activation of `trial` whose name matches `pattern` ('*'
/// matches one dotted segment, e.g. "decoder.layers.*.output"), one at a time,
/// on `examples` of its analysis examples; with `head` >= 0 only that head
/// along the tensor's head (or kv_head) axis. ConfigError when the corruption
/// changes the examples' shape or lengths.
PatchOutcome patch_activations(const TrainedTrial& trial, const std::string& pattern, int64_t head,
                               Corruption corruption, int64_t examples);

/// The names of `trial`'s activations that can be patched, in model order.
std::vector<std::string> patchable_activations(const TrainedTrial& trial);

struct TrialPatching {
  std::string id, arm;
  uint64_t seed = 0;
  std::vector<PatchResult> results;
};

/// Writes `<dir>/analysis/patching.csv` (one row per trial and activation), atomically.
void write_patching(const ExperimentResults& results, const std::vector<TrialPatching>& trials);

/// Per arm and activation over seeds: the share of the clean loss restored and
/// the three accuracies, mean [95% interval].
std::string format_patching_summary(const ExperimentResults& results,
                                    const std::vector<TrialPatching>& trials, TextFormat format,
                                    MeanInterval interval_kind = MeanInterval::bootstrap);

}  // namespace attnlab::analysis
