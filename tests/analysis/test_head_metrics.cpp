// Head metrics on hand-built attention matrices whose answers are known.
#include <attnlab/analysis/head_metrics.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

using namespace attnlab;
using namespace attnlab::analysis;

namespace {

// One example, `heads` heads over T queries and T keys, head h's row i from weight(h, i, j).
AttentionPattern pattern_of(int64_t heads, int64_t length,
                            const std::function<float(int64_t, int64_t, int64_t)>& weight,
                            std::vector<int32_t> tokens = {}, bool causal = false) {
  std::vector<float> values;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < length; ++i)
      for (int64_t j = 0; j < length; ++j) values.push_back(weight(h, i, j));
  AttentionPattern p;
  p.module = "test.self_attn";
  p.weights = Tensor::from_values({1, heads, length, length}, values);
  p.causal = causal;
  p.query_tokens = p.key_tokens = std::move(tokens);
  return p;
}

const std::vector<int32_t> kRepeated{1, 2, 3, 4, 1, 2, 3, 4};  // a sequence seen twice

}  // namespace

TEST_CASE("uniform attention over n keys has entropy ln n, one-hot has 0") {
  const HeadMetrics uniform =
      head_metrics(pattern_of(1, 6, [](auto, auto, auto) { return 1.0f / 6; })).front();
  REQUIRE(uniform.entropy == Approx(std::log(6.0)));
  REQUIRE(uniform.normalised_entropy == Approx(1.0));
  const HeadMetrics one_hot = head_metrics(pattern_of(1, 6, [](auto, auto i, auto j) {
                                return i == j ? 1.0f : 0.0f;
                              })).front();
  REQUIRE(one_hot.entropy == 0.0);
  REQUIRE(one_hot.normalised_entropy == 0.0);
  REQUIRE(one_hot.diagonal == Approx(1.0));
  REQUIRE(one_hot.mean_distance == 0.0);
}

TEST_CASE("under a causal mask a query's entropy is measured over the keys it sees") {
  // Uniform over the visible keys 0..i: entropy ln(i + 1), normalised 1 wherever defined.
  const HeadMetrics causal =
      head_metrics(
          pattern_of(
              1, 4,
              [](auto, auto i, auto j) { return j <= i ? 1.0f / static_cast<float>(i + 1) : 0.0f; },
              {}, true))
          .front();
  REQUIRE(causal.entropy ==
          Approx((std::log(1.0) + std::log(2.0) + std::log(3.0) + std::log(4.0)) / 4));
  REQUIRE(causal.normalised_entropy == Approx(1.0));
  REQUIRE(causal.first == Approx((1.0 + 0.5 + 1.0 / 3 + 0.25) / 4));
}

TEST_CASE("a pure previous-token head scores 1 on that detector and 0 on the others") {
  const HeadMetrics previous =
      head_metrics(
          pattern_of(
              1, 8,
              [](auto, auto i, auto j) { return (i == 0 && j == 0) || j == i - 1 ? 1.0f : 0.0f; },
              kRepeated, true))
          .front();
  REQUIRE(previous.previous_token_score == Approx(1.0));
  REQUIRE(previous.duplicate_token_score == 0.0);
  REQUIRE(previous.induction_score == 0.0);
  REQUIRE(previous.mean_distance == Approx(7.0 / 8));
}

TEST_CASE("an induction head and a duplicate-token head score 1 on their own detector") {
  // On the second copy, query i (token t) attends to the token after t's first copy (i - 3),
  // or to t's first copy (i - 4); elsewhere to itself.
  const auto head = [](int64_t offset) {
    return [offset](auto, auto i, auto j) {
      return i >= 4 ? (j == i - offset ? 1.0f : 0.0f) : (j == i ? 1.0f : 0.0f);
    };
  };
  const HeadMetrics induction = head_metrics(pattern_of(1, 8, head(3), kRepeated, true)).front();
  REQUIRE(induction.induction_score == Approx(1.0));
  REQUIRE(induction.duplicate_token_score == 0.0);
  REQUIRE(induction.previous_token_score == Approx(0.0).margin(1e-12));
  const HeadMetrics duplicate = head_metrics(pattern_of(1, 8, head(4), kRepeated, true)).front();
  REQUIRE(duplicate.duplicate_token_score == Approx(1.0));
  REQUIRE(duplicate.induction_score == 0.0);
}

TEST_CASE("detectors are NaN where they cannot be measured") {
  const auto uniform = [](auto, auto, auto) { return 0.25f; };
  const HeadMetrics no_tokens = head_metrics(pattern_of(1, 4, uniform)).front();
  REQUIRE(std::isnan(no_tokens.duplicate_token_score));
  REQUIRE(std::isnan(no_tokens.induction_score));
  const HeadMetrics distinct = head_metrics(pattern_of(1, 4, uniform, {5, 6, 7, 8})).front();
  REQUIRE(std::isnan(distinct.duplicate_token_score));  // no token repeats
  REQUIRE(distinct.previous_token_score == Approx(0.25));
  AttentionPattern cross = pattern_of(1, 4, uniform, {5, 6, 7, 8});
  cross.self_attention = false;
  REQUIRE(std::isnan(head_metrics(cross).front().previous_token_score));
}

TEST_CASE("padded keys and queries are left out") {
  AttentionPattern padded =
      pattern_of(1, 4, [](auto, auto, auto j) { return j < 2 ? 0.5f : 0.0f; });
  padded.key_lengths = padded.query_lengths = {2};
  const HeadMetrics m = head_metrics(padded).front();
  REQUIRE(m.entropy == Approx(std::log(2.0)));
  REQUIRE(m.normalised_entropy == Approx(1.0));
  REQUIRE(m.first == Approx(0.5));
}

TEST_CASE("head diversity: identical heads 0, heads on different keys 1 bit, one head NaN") {
  const auto same = [](auto, auto i, auto j) { return j == (i + 1) % 4 ? 1.0f : 0.0f; };
  REQUIRE(head_diversity(pattern_of(3, 4, same)) == Approx(0.0).margin(1e-12));
  const auto apart = [](auto h, auto i, auto j) { return j == (i + h) % 4 ? 1.0f : 0.0f; };
  REQUIRE(head_diversity(pattern_of(2, 4, apart)) == Approx(1.0));
  REQUIRE(std::isnan(head_diversity(pattern_of(1, 4, same))));
  // Half overlapping: p = (1/2, 1/2, 0), q = (0, 1/2, 1/2): JS = 1/2 bit.
  const auto halves = [](auto h, auto, auto j) { return (j == h || j == h + 1) ? 0.5f : 0.0f; };
  REQUIRE(head_diversity(pattern_of(2, 3, halves)) == Approx(0.5));
}

TEST_CASE("malformed patterns are refused with the module's name") {
  AttentionPattern bad = pattern_of(1, 4, [](auto, auto, auto) { return 0.25f; });
  bad.query_tokens = {1, 2};
  REQUIRE_THROWS_WITH(head_metrics(bad), Catch::Contains("test.self_attn") &&
                                             Catch::Contains("query_tokens has 2 values"));
}

TEST_CASE("keys a variant blocks (score -inf, e.g. a local window) are not seen") {
  // Uniform over a window of 3 keys out of 8: entropy ln 3, normalised 1, not ln 3 / ln 8.
  AttentionPattern windowed = pattern_of(1, 8, [](auto, auto i, auto j) {
    return std::llabs(i - j) <= 1 && !(i == 0 && j > 1) ? 1.0f : 0.0f;
  });
  std::vector<float> scores;
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 8; ++j) scores.push_back(std::llabs(i - j) <= 1 ? 0.0f : -INFINITY);
  windowed.scores = Tensor::from_values({1, 1, 8, 8}, scores);
  std::vector<float> weights = windowed.weights.to_vector();  // rows normalised over the window
  for (int64_t i = 0; i < 8; ++i) {
    float total = 0;
    for (int64_t j = 0; j < 8; ++j) total += weights[i * 8 + j] = scores[i * 8 + j] == 0 ? 1 : 0;
    for (int64_t j = 0; j < 8; ++j) weights[i * 8 + j] /= total;
  }
  windowed.weights = Tensor::from_values({1, 1, 8, 8}, weights);
  const HeadMetrics m = head_metrics(windowed).front();
  REQUIRE(m.normalised_entropy == Approx(1.0));
  REQUIRE(m.entropy == Approx((2 * std::log(2.0) + 6 * std::log(3.0)) / 8));
}

TEST_CASE("shares stay in [0, 1]: rows summing to more are scaled, rows summing to less are not") {
  // Sigmoid-like: every key 0.9 (rows sum to 3.6): the previous-token share is 0.25, not 0.9.
  const HeadMetrics sigmoid =
      head_metrics(pattern_of(1, 4, [](auto, auto, auto) { return 0.9f; }, {5, 6, 7, 8})).front();
  REQUIRE(sigmoid.previous_token_score == Approx(0.25));
  REQUIRE(sigmoid.entropy == Approx(std::log(4.0)));
  // softmax_one-like abstention: rows sum to 0.5, all on the previous key: the share is 0.5.
  const HeadMetrics abstaining = head_metrics(pattern_of(1, 4, [](auto, auto i, auto j) {
                                   return (i == 0 && j == 0) || j == i - 1 ? 0.5f : 0.0f;
                                 })).front();
  REQUIRE(abstaining.previous == Approx(0.5 * 3 / 4));
}
