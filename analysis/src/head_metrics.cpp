#include "attnlab/analysis/head_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "attnlab/error.hpp"

namespace attnlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A running mean that is NaN until something is added.
struct Mean {
  double sum = 0.0;
  int64_t count = 0;
  void add(double value) {
    sum += value;
    ++count;
  }
  double value() const { return count ? sum / static_cast<double>(count) : kNaN; }
};

// The pattern's weights with its dimensions, and which queries and keys count.
class PatternView {
 public:
  explicit PatternView(const AttentionPattern& pattern)
      : pattern_(pattern), weights_(pattern.weights.to_vector()) {
    const Shape& shape = pattern.weights.shape();
    if (shape.size() != 4)
      throw ShapeError(
          fmt::format("{}: attention weights must be [example, head, query, key]", pattern.module));
    if (pattern.scores.defined()) {
      if (pattern.scores.shape() != shape)
        throw ShapeError(fmt::format("{}: scores {} do not match weights {}", pattern.module,
                                     shape_string(pattern.scores.shape()), shape_string(shape)));
      scores_ = pattern.scores.to_vector();
    }
    examples_ = shape[0], heads_ = shape[1], queries_ = shape[2], keys_ = shape[3];
    const auto check = [&](const std::vector<int32_t>& values, int64_t per_example,
                           const char* what) {
      if (!values.empty() && static_cast<int64_t>(values.size()) != examples_ * per_example)
        throw ShapeError(fmt::format("{}: {} has {} values for {} examples", pattern.module, what,
                                     values.size(), examples_));
    };
    check(pattern.key_lengths, 1, "key_lengths");
    check(pattern.query_lengths, 1, "query_lengths");
    check(pattern.query_tokens, queries_, "query_tokens");
    check(pattern.key_tokens, keys_, "key_tokens");
  }
  int64_t examples() const { return examples_; }
  int64_t heads() const { return heads_; }
  int64_t queries(int64_t b) const {
    return pattern_.query_lengths.empty() ? queries_ : pattern_.query_lengths[b];
  }
  // The keys query i of head h sees in example b: within the causal mask and
  // the padding, and not blocked by the variant (a score of -inf: a window).
  std::vector<int64_t> visible_keys(int64_t b, int64_t h, int64_t i) const {
    const int64_t valid = pattern_.key_lengths.empty() ? keys_ : pattern_.key_lengths[b];
    const int64_t limit = pattern_.causal ? std::min(valid, i + 1 + (keys_ - queries_)) : valid;
    std::vector<int64_t> keys;
    const std::size_t row_start =
        static_cast<std::size_t>(((b * heads_ + h) * queries_ + i) * keys_);
    for (int64_t j = 0; j < limit; ++j)
      if (scores_.empty() || scores_[row_start + j] > -std::numeric_limits<float>::infinity())
        keys.push_back(j);
    return keys;
  }
  const float* row(int64_t b, int64_t h, int64_t i) const {
    return weights_.data() + ((b * heads_ + h) * queries_ + i) * keys_;
  }
  bool has_tokens() const {
    return pattern_.self_attention && !pattern_.query_tokens.empty() &&
           !pattern_.key_tokens.empty();
  }
  int32_t query_token(int64_t b, int64_t i) const {
    return pattern_.query_tokens[b * queries_ + i];
  }
  int32_t key_token(int64_t b, int64_t j) const { return pattern_.key_tokens[b * keys_ + j]; }

 private:
  const AttentionPattern& pattern_;
  std::vector<float> weights_, scores_;
  int64_t examples_ = 0, heads_ = 0, queries_ = 0, keys_ = 0;
};

double row_total(const float* row, const std::vector<int64_t>& keys) {
  double total = 0.0;
  for (const int64_t j : keys) total += row[j];
  return total;
}

// Weight of `row` on the visible keys `selected` picks; whether it picked any.
template <class Select>
std::pair<double, bool> weight_on(const float* row, const std::vector<int64_t>& keys,
                                  Select selected) {
  double weight = 0.0;
  bool any = false;
  for (const int64_t j : keys)
    if (selected(j)) weight += row[j], any = true;
  return {weight, any};
}

bool contains(const std::vector<int64_t>& keys, int64_t j) {
  return std::binary_search(keys.begin(), keys.end(), j);
}

HeadMetrics head_of(const PatternView& view, int64_t h) {
  Mean entropy, normalised, distance, diagonal, previous, first, previous_token, duplicate,
      induction;
  for (int64_t b = 0; b < view.examples(); ++b)
    for (int64_t i = 0; i < view.queries(b); ++i) {
      const std::vector<int64_t> keys = view.visible_keys(b, h, i);
      if (keys.empty()) continue;
      const float* row = view.row(b, h, i);
      const double total = row_total(row, keys);
      double h_row = 0.0, d_row = 0.0;
      for (const int64_t j : keys) {
        const double p = total > 0.0 ? row[j] / total : 0.0;
        if (p > 0.0) h_row -= p * std::log(p);
        d_row += p * static_cast<double>(std::llabs(i - j));
      }
      entropy.add(h_row);
      if (keys.size() >= 2) normalised.add(h_row / std::log(static_cast<double>(keys.size())));
      distance.add(d_row);
      // Shares of the row as the variant gives it, except that a row summing to more
      // than 1 (sigmoid attention) is scaled to 1: every share stays in [0, 1], and a
      // row summing to less (softmax_one abstaining) keeps its abstention.
      const double over = std::max(1.0, total);
      const auto share = [&](int64_t j) { return row[j] / over; };
      diagonal.add(contains(keys, i) ? share(i) : 0.0);
      previous.add(i >= 1 && contains(keys, i - 1) ? share(i - 1) : 0.0);
      first.add(contains(keys, 0) ? share(0) : 0.0);
      if (!view.has_tokens()) continue;
      if (i >= 1 && contains(keys, i - 1)) previous_token.add(share(i - 1));
      const int32_t token = view.query_token(b, i);
      const auto [same, any_same] =
          weight_on(row, keys, [&](int64_t j) { return j != i && view.key_token(b, j) == token; });
      if (any_same) duplicate.add(same / over);
      const auto [after, any_after] = weight_on(row, keys, [&](int64_t j) {
        return j >= 1 && j - 1 < i - 1 && view.key_token(b, j - 1) == token;
      });
      if (any_after) induction.add(after / over);
    }
  return {entropy.value(),        normalised.value(), distance.value(),
          diagonal.value(),       previous.value(),   first.value(),
          previous_token.value(), duplicate.value(),  induction.value()};
}

// Jensen–Shannon divergence in bits of two rows over their first `visible` keys,
// each normalised to sum 1.
double js_divergence(const float* a, const float* b, const std::vector<int64_t>& keys) {
  const double ta = row_total(a, keys), tb = row_total(b, keys);
  if (ta <= 0.0 || tb <= 0.0) return kNaN;
  double divergence = 0.0;
  for (const int64_t j : keys) {
    const double p = a[j] / ta, q = b[j] / tb, m = (p + q) / 2.0;
    if (p > 0.0) divergence += 0.5 * p * std::log2(p / m);
    if (q > 0.0) divergence += 0.5 * q * std::log2(q / m);
  }
  return std::max(0.0, divergence);
}

}  // namespace

std::vector<HeadMetrics> head_metrics(const AttentionPattern& pattern) {
  const PatternView view(pattern);
  std::vector<HeadMetrics> metrics;
  for (int64_t h = 0; h < view.heads(); ++h) metrics.push_back(head_of(view, h));
  return metrics;
}

double head_diversity(const AttentionPattern& pattern) {
  const PatternView view(pattern);
  Mean divergence;
  for (int64_t b = 0; b < view.examples(); ++b)
    for (int64_t i = 0; i < view.queries(b); ++i) {
      for (int64_t g = 0; g < view.heads(); ++g)
        for (int64_t h = g + 1; h < view.heads(); ++h) {
          // Keys either head sees (a key one of them cannot see has weight 0 there).
          std::vector<int64_t> keys = view.visible_keys(b, g, i),
                               other = view.visible_keys(b, h, i);
          keys.insert(keys.end(), other.begin(), other.end());
          std::sort(keys.begin(), keys.end());
          keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
          const double d = js_divergence(view.row(b, g, i), view.row(b, h, i), keys);
          if (!std::isnan(d)) divergence.add(d);
        }
    }
  return divergence.value();
}

const std::vector<HeadMetricField>& head_metric_fields() {
  static const std::vector<HeadMetricField> fields{
      {"entropy", &HeadMetrics::entropy, "-sum p ln p of a query's weights (nats)"},
      {"normalised_entropy", &HeadMetrics::normalised_entropy,
       "entropy / ln(keys the query sees): 0 one key, 1 uniform"},
      {"mean_distance", &HeadMetrics::mean_distance, "sum p |i - j|: how far a query looks"},
      {"diagonal", &HeadMetrics::diagonal, "weight on the query's own position"},
      {"previous", &HeadMetrics::previous, "weight on the position before the query"},
      {"first", &HeadMetrics::first, "weight on the first position"},
      {"previous_token_score", &HeadMetrics::previous_token_score,
       "previous-token detector: weight on i - 1, over queries that have one"},
      {"duplicate_token_score", &HeadMetrics::duplicate_token_score,
       "duplicate-token detector: weight on other positions holding the query's token"},
      {"induction_score", &HeadMetrics::induction_score,
       "induction detector: weight on the token after an earlier occurrence of the query's"},
  };
  return fields;
}

}  // namespace attnlab::analysis
