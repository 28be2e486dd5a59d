// What each attention head does, measured on its weights: how spread out it is
// (entropy), how far it looks (mean distance), where its weight goes (the
// diagonal, the previous token, the first token), the head detectors
// TransformerLens names (previous-token, duplicate-token, induction), and how
// different a layer's heads are from one another (Jensen–Shannon divergence).
// Definitions, with their exact formulas: docs/analysis.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab::analysis {

/// One attention module's weights over a batch of examples, with what is
/// needed to read them: which keys each query could see, and the tokens at
/// the query and key positions.
struct AttentionPattern {
  std::string module;  // e.g. "decoder.layers.0.self_attn"
  Tensor weights;      // [example, head, query, key]
  Tensor scores;       // the same shape, or undefined; a key scored -inf is one the variant blocks
                       // for that query (e.g. outside a local window), so it is not seen
  bool self_attention = true;          // queries and keys are the same positions
  bool causal = false;                 // query i sees keys j <= i only
  std::vector<int32_t> key_lengths;    // valid keys per example; empty = every key
  std::vector<int32_t> query_lengths;  // valid queries per example; empty = every query
  std::vector<int32_t> query_tokens;   // [example, query]; empty = unknown
  std::vector<int32_t> key_tokens;     // [example, key]; empty = unknown (e.g. mean memory)
};

/// Every figure is a mean over the examples' queries (padded queries and keys
/// left out); NaN where it has no query to be measured on (a detector with no
/// repeated token; the token detectors of cross-attention, whose queries and
/// keys are different sequences). Positions i and j are indices of the query
/// and key sequences.
struct HeadMetrics {
  double entropy = 0.0;                // -sum_j p_ij ln p_ij, nats (p: the row normalised to 1)
  double normalised_entropy = 0.0;     // entropy / ln(visible keys), queries seeing >= 2 keys
  double mean_distance = 0.0;          // sum_j p_ij |i - j|
  double diagonal = 0.0;               // weight on j = i
  double previous = 0.0;               // weight on j = i - 1 (0 for the first query)
  double first = 0.0;                  // weight on j = 0
  double previous_token_score = 0.0;   // weight on j = i - 1, over queries i >= 1
  double duplicate_token_score = 0.0;  // weight on other keys holding query i's token
  double induction_score = 0.0;  // weight on keys p + 1 after earlier occurrences p < i - 1 of
                                 // query i's token (the token that followed it last time)
};

/// The metrics of each head of `pattern`, head by head.
std::vector<HeadMetrics> head_metrics(const AttentionPattern& pattern);

/// The mean Jensen–Shannon divergence (base 2, so in [0, 1]) between the
/// rows of every pair of heads, over queries: 0 when all heads attend alike.
/// NaN for a single head.
double head_diversity(const AttentionPattern& pattern);

/// The figures of HeadMetrics by name, in declaration order (for tables and files).
struct HeadMetricField {
  const char* name;
  double HeadMetrics::*member;
  const char* meaning;
};
const std::vector<HeadMetricField>& head_metric_fields();

}  // namespace attnlab::analysis
