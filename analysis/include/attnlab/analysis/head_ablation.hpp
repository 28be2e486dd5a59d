// Head ablation after Michel, Levy & Neubig 2019 ("Are Sixteen Heads Really
// Better than One?"), on a trained trial at evaluation: what removing each
// head alone costs (zero ablation: its gate at 0; mean ablation: its output
// replaced by its mean), each head's importance |dL/d xi_h| through a gate
// xi_h = 1, and the accuracy as heads are pruned in order of importance.
// Gates act on each head's output before W_O, so W_O's bias stays: with
// every head removed the attention outputs exactly that bias.
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/analysis/trained_trial.hpp"

namespace attnlab::analysis {

struct HeadAblation {
  std::string module;  // e.g. "decoder.layers.1.self_attn"
  int64_t head = 0;
  double zero_loss = 0.0, zero_accuracy = 0.0;  // the trial's evaluation with the head's gate at 0
  double mean_loss = 0.0, mean_accuracy = 0.0;  // ... with its output its mean over examples
  double importance = 0.0;                      // mean over examples of |dL/d xi_h| at xi = 1
  double normalised_importance = 0.0;  // divided by the l2 norm of its module's importances
};

/// One step of pruning: heads removed so far (the least important first,
/// by normalised importance, ties in model order) and the evaluation then.
struct PruningStep {
  int64_t removed = 0;
  std::string module;  // the head removed at this step ("" for step 0)
  int64_t head = -1;
  double loss = 0.0, accuracy = 0.0;
};

struct TrialAblation {
  std::string id, arm;
  uint64_t seed = 0;
  double loss = 0.0, accuracy = 0.0;  // the trial's own evaluation, nothing removed
  std::vector<HeadAblation> heads;    // every head of every attention module
  std::vector<PruningStep> pruning;   // 0 .. all heads removed
};

/// Ablates every head of `trial` on its own evaluation (the fixed examples of
/// its eval stream at the training length, as training evaluated it); the
/// importance and the mean outputs use `examples` of its analysis examples.
/// ConfigError for an attention variant that cannot gate its heads.
TrialAblation ablate_heads(TrainedTrial& trial, int64_t examples);

/// Writes `<dir>/analysis/head_ablation.h5` (layout: docs/analysis.md),
/// `head_ablation.csv` and `head_pruning.csv`, each atomically.
void write_head_ablation(const ExperimentResults& results,
                         const std::vector<TrialAblation>& trials);

/// Per arm over seeds: the accuracy, the largest cost of removing one head
/// (zero and mean ablation), how many heads each cost more than 0.01 alone,
/// and the accuracy with a quarter, half and all but one of the heads pruned.
std::string format_ablation_summary(const ExperimentResults& results,
                                    const std::vector<TrialAblation>& trials, TextFormat format,
                                    MeanInterval interval_kind = MeanInterval::bootstrap);

}  // namespace attnlab::analysis
