// `attnlab analyze`: the head metrics of every finished trial of an output
// directory, measured on its model rebuilt from its final parameters, written
// next to the trials (analysis/head_metrics.h5 and .csv), and summarised per
// arm over seeds.
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/analysis/experiment_results.hpp"
#include "attnlab/analysis/head_metrics.hpp"
#include "attnlab/analysis/permutation_sensitivity.hpp"
#include "attnlab/analysis/trained_trial.hpp"

namespace attnlab::analysis {

/// How many examples' attention weights analysis keeps to be looked at
/// (heatmaps, the report's explorer), whatever the experiment recorded.
inline constexpr int64_t kShownExamples = 8;

struct ModuleMetrics {
  std::string module;  // e.g. "decoder.layers.1.self_attn"
  std::vector<HeadMetrics> heads;
  double diversity = 0.0;  // head_diversity(); NaN for one head
  AttentionPattern shown;  // the first kShownExamples examples' weights and tokens
};

struct TrialHeadMetrics {
  std::string id, arm;
  std::string tokens;  // what its tokens are: Task::token_kind ("bytes" of a text, or "ids")
  uint64_t seed = 0;
  int64_t examples = 0;   // examples measured on
  bool recorded = false;  // on the examples the trial recorded (else its analysis examples)
  double permutation_sensitivity = 0.0;  // permutation_sensitivity.hpp, on the same examples
  std::vector<ModuleMetrics> modules;
};

/// The metrics of every head of `trial` on `examples` of its analysis
/// examples, or, with `on_recorded`, on the examples it recorded.
TrialHeadMetrics measure_heads(const TrainedTrial& trial, int64_t examples, bool on_recorded);

/// Writes `<dir>/analysis/head_metrics.h5` (layout: docs/analysis.md) and
/// `head_metrics.csv` (one row per trial, module and head), each atomically.
void write_head_metrics(const ExperimentResults& results,
                        const std::vector<TrialHeadMetrics>& trials);

/// Per arm and module, over seeds: the layer's diversity and, for each
/// detector, the best head's score (heads are not the same heads across seeds,
/// so the best one is what compares), each as mean [95% interval]; then each
/// arm's permutation sensitivity.
std::string format_head_summary(const ExperimentResults& results,
                                const std::vector<TrialHeadMetrics>& trials, TextFormat format,
                                MeanInterval interval_kind = MeanInterval::bootstrap);

}  // namespace attnlab::analysis
