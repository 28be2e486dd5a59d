// Forward values of the ops against hand computations.
#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/threads.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "support/random.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

TEST_CASE("matmul equals a naive triple loop, shared weights included") {
  const Tensor a = testing::random_tensor({3, 4, 5}, 1);
  const Tensor b = testing::random_tensor({5, 2}, 2);
  const Tensor c = ops::matmul(a, b);
  REQUIRE(c.shape() == Shape{3, 4, 2});
  for (int64_t i = 0; i < 12; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      double expected = 0.0;
      for (int64_t k = 0; k < 5; ++k) expected += a.data()[i * 5 + k] * b.data()[k * 2 + j];
      REQUIRE(c.data()[i * 2 + j] == Approx(expected).margin(1e-5));
    }
  // a^T b^T with batch: (5x4)^T ... check against explicit transposes.
  const Tensor x = testing::random_tensor({2, 5, 4}, 3);
  const Tensor y = testing::random_tensor({2, 3, 5}, 4);
  const Tensor fused = ops::matmul(x, y, true, true);
  const Tensor explicit_ = ops::matmul(ops::transpose(x, 1, 2), ops::transpose(y, 1, 2));
  REQUIRE(fused.to_vector() == explicit_.to_vector());
}

// Many tiny items: oneDNN's batched matmul takes them in calls of a fixed number
// of items (here 128 of 8x8x8, so 300 items are 3 calls, the last one short), run
// on several threads at once; each item must still be its own product.
TEST_CASE("a batched matmul of many items equals a naive loop for any thread count") {
  constexpr int64_t kItems = 300, kSize = 8, kArea = kSize * kSize;
  const Tensor a = testing::random_tensor({3, 100, kSize, kSize}, 5);
  const Tensor b = testing::random_tensor({3, 100, kSize, kSize}, 6);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    set_thread_count(threads);
    for (bool tb : {false, true}) {
      const Tensor c = ops::matmul(a, b, false, tb, 0.5f);
      for (int64_t item = 0; item < kItems; ++item)
        for (int64_t i = 0; i < kSize; ++i)
          for (int64_t j = 0; j < kSize; ++j) {
            double expected = 0.0;
            for (int64_t k = 0; k < kSize; ++k)
              expected += a.data()[item * kArea + i * kSize + k] *
                          b.data()[item * kArea + (tb ? j * kSize + k : k * kSize + j)];
            REQUIRE(c.data()[item * kArea + i * kSize + j] == Approx(0.5 * expected).margin(1e-5));
          }
      results.push_back(c.to_vector());
    }
  }
  set_thread_count(available_cpus());
  REQUIRE(results[0] == results[2]);  // the same items in the same calls: identical floats
  REQUIRE(results[0] == results[4]);
}

TEST_CASE("broadcasting follows NumPy") {
  const Tensor column = Tensor::from_values({2, 1}, std::vector<float>{10, 20});
  const Tensor row = Tensor::from_values({3}, std::vector<float>{1, 2, 3});
  const Tensor sum = ops::add(column, row);
  REQUIRE(sum.shape() == Shape{2, 3});
  REQUIRE(sum.to_vector() == std::vector<float>{11, 12, 13, 21, 22, 23});
  REQUIRE(ops::sub(row, column).to_vector() == std::vector<float>{-9, -8, -7, -19, -18, -17});
  REQUIRE_THROWS_WITH(ops::add(Tensor::zeros({2, 3}), Tensor::zeros({2, 2})),
                      Contains("add: cannot broadcast [2, 3] with [2, 2]"));
}

TEST_CASE("broadcasting on both sides over five axes equals an element-by-element sum") {
  // additive attention's [B, h, T, 1, a] + [B, h, 1, S, a], and a broadcast last axis
  for (const auto& [shape_a, shape_b] : {std::pair{Shape{2, 3, 4, 1, 5}, Shape{2, 3, 1, 6, 5}},
                                         std::pair{Shape{2, 1, 4, 3, 1}, Shape{3, 1, 1, 7}}}) {
    const Tensor a = testing::random_tensor(shape_a, 41);
    const Tensor b = testing::random_tensor(shape_b, 42);
    const Tensor sum = ops::add(a, b);
    const Shape& shape = sum.shape();
    std::vector<int64_t> index(shape.size(), 0);
    // The flat offset in x of a result index, x's axes aligned to the right.
    auto offset = [&](const Shape& x) {
      int64_t flat = 0;
      const std::size_t skip = shape.size() - x.size();
      for (std::size_t d = 0; d < x.size(); ++d)
        flat = flat * x[d] + (x[d] == 1 ? 0 : index[skip + d]);
      return flat;
    };
    for (int64_t o = 0; o < sum.numel(); ++o) {
      REQUIRE(sum.data()[o] == a.data()[offset(shape_a)] + b.data()[offset(shape_b)]);
      for (std::size_t d = shape.size(); d-- > 0;)
        if (++index[d] < shape[d])
          break;
        else
          index[d] = 0;
    }
  }
}

namespace {

// How many representable floats lie between a and b.
int64_t ulps_apart(float a, float b) {
  auto ordered = [](float x) {
    int32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits < 0 ? int64_t{std::numeric_limits<int32_t>::min()} - bits : int64_t{bits};
  };
  return std::abs(ordered(a) - ordered(b));
}

}  // namespace

TEST_CASE(
    "tanh: within 4 ulps of the exact value, exactly +-1 far out, the same floats at any offset") {
  std::vector<float> xs;
  for (float x = -12.0f; x <= 12.0f; x += 0.0137f) xs.push_back(x);
  for (const float x : {0.0f, -0.0f, 1e-5f, -3e-4f, 4e-4f, 7.99f, -7.9999f, 8.0f}) xs.push_back(x);
  const int64_t n = static_cast<int64_t>(xs.size());
  // Eigen's vector path takes most elements of a long tensor, its scalar path
  // a one-element tensor and the ends of each chunk: both must give each x
  // the same float, or results would depend on where a chunk starts.
  std::vector<float> alone(xs.size());
  for (int64_t i = 0; i < n; ++i) {
    alone[i] = ops::tanh(Tensor::from_values({1}, std::vector<float>{xs[i]})).item();
    REQUIRE(ulps_apart(alone[i], static_cast<float>(std::tanh(static_cast<double>(xs[i])))) <= 4);
    if (std::abs(xs[i]) >= 8.0f) REQUIRE(alone[i] == std::copysign(1.0f, xs[i]));
  }
  for (int64_t offset = 0; offset < 17; ++offset) {
    const std::vector<float> shifted(xs.begin() + offset, xs.end());
    const Tensor y = ops::tanh(Tensor::from_values({n - offset}, shifted));
    REQUIRE(std::memcmp(y.data(), alone.data() + offset, sizeof(float) * (n - offset)) == 0);
  }
}

TEST_CASE("masked softmax: rows sum to one, masks give exact zeros") {
  const Tensor scores = testing::random_tensor({2, 1, 3, 3}, 5, -3.0f, 3.0f);
  AttentionMask mask;
  mask.causal = true;
  mask.key_lengths = {3, 1};
  const Tensor p = ops::masked_softmax(scores, mask);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      const float* row = p.data() + (b * 3 + t) * 3;
      const int64_t valid = std::min<int64_t>(t + 1, b == 0 ? 3 : 1);
      double total = 0.0;
      for (int64_t s = 0; s < 3; ++s) {
        if (s >= valid) REQUIRE(row[s] == 0.0f);
        total += row[s];
      }
      REQUIRE(total == Approx(1.0).margin(1e-6));
    }
}

TEST_CASE("masked softmax is stable for huge scores and zero for fully masked rows") {
  const Tensor big = Tensor::from_values({1, 3}, std::vector<float>{1000.0f, 1000.0f, -1000.0f});
  const auto p = ops::masked_softmax(big).to_vector();
  REQUIRE(p[0] == Approx(0.5f));
  REQUIRE(p[1] == Approx(0.5f));
  REQUIRE(p[2] == 0.0f);
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor masked = Tensor::from_values({1, 2}, std::vector<float>{-inf, -inf});
  const auto q = ops::masked_softmax(masked).to_vector();
  REQUIRE(q == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("causal mask with fewer queries than keys sees the whole cache") {
  const Tensor scores = Tensor::zeros({1, 1, 4});  // one new query over four cached keys
  AttentionMask mask;
  mask.causal = true;
  const auto p = ops::masked_softmax(scores, mask).to_vector();
  for (float v : p) REQUIRE(v == Approx(0.25f));
}

TEST_CASE("cross-entropy equals -log softmax of the target, ignoring ignored rows") {
  const Tensor logits = Tensor::from_values({2, 3}, std::vector<float>{1, 2, 3, 0, 0, 0});
  const std::vector<int32_t> targets = {2, -100};
  const double expected =
      -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  REQUIRE(ops::cross_entropy(logits, targets).item() == Approx(expected).epsilon(1e-6));
  const std::vector<int32_t> all_ignored = {-100, -100};
  REQUIRE(ops::cross_entropy(logits, all_ignored).item() == 0.0f);
}

TEST_CASE("layer norm output has zero mean and unit variance per row") {
  const Tensor x = testing::random_tensor({4, 16}, 6, -5.0f, 5.0f);
  const Tensor y = ops::layer_norm(x, Tensor::full({16}, 1.0f), Tensor::zeros({16}));
  for (int64_t r = 0; r < 4; ++r) {
    double mean = 0.0, square = 0.0;
    for (int64_t i = 0; i < 16; ++i) mean += y.data()[r * 16 + i] / 16.0;
    for (int64_t i = 0; i < 16; ++i) square += std::pow(y.data()[r * 16 + i] - mean, 2) / 16.0;
    REQUIRE(mean == Approx(0.0).margin(1e-6));
    REQUIRE(square == Approx(1.0).epsilon(1e-4));
  }
}

TEST_CASE("split_heads gives each head its slice of the features") {
  // The seed's example: d_model 4, two heads; (1, 1, 0, 1) -> head 1 (1, 1), head 2 (0, 1).
  const Tensor q = Tensor::from_values({1, 1, 4}, std::vector<float>{1, 1, 0, 1});
  const Tensor heads = ops::split_heads(q, 2);
  REQUIRE(heads.shape() == Shape{1, 2, 1, 2});
  REQUIRE(heads.to_vector() == std::vector<float>{1, 1, 0, 1});
  REQUIRE(ops::merge_heads(heads).to_vector() == q.to_vector());
}

TEST_CASE("gelu is the exact erf form") {
  const Tensor x = Tensor::from_values({3}, std::vector<float>{-1.0f, 0.0f, 2.0f});
  const auto y = ops::gelu(x).to_vector();
  REQUIRE(y[0] == Approx(-0.15865525f));
  REQUIRE(y[1] == 0.0f);
  REQUIRE(y[2] == Approx(1.95449974f));
}

TEST_CASE("dropout is reproducible from the seed and keeps the expectation") {
  const Tensor x = Tensor::full({10000}, 1.0f);
  std::mt19937_64 a(3), b(3);
  const auto ya = ops::dropout(x, 0.25f, a).to_vector();
  const auto yb = ops::dropout(x, 0.25f, b).to_vector();
  REQUIRE(ya == yb);
  double total = 0.0;
  for (float v : ya) {
    REQUIRE((v == 0.0f || v == Approx(1.0f / 0.75f)));
    total += v;
  }
  REQUIRE(total / 10000.0 == Approx(1.0).epsilon(0.03));
}

TEST_CASE("shape mismatches throw ShapeError naming the op and both shapes") {
  const Tensor a = Tensor::zeros({2, 3});
  const Tensor b = Tensor::zeros({4, 5});
  REQUIRE_THROWS_MATCHES(ops::matmul(a, b), ShapeError,
                         Catch::Matchers::Message("matmul: cannot multiply [2, 3] by [4, 5]"));
  REQUIRE_THROWS_WITH(ops::add(a, b), Contains("add") && Contains("[4, 5]") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ops::linear(a, b, Tensor()),
                      Contains("linear") && Contains("[2, 3]") && Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(ops::concat(std::vector{a, b}, 0), Contains("concat") && Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(ops::reshape(a, {4}), Contains("reshape") && Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(ops::split_heads(Tensor::zeros({1, 2, 6}), 4), Contains("split_heads"));
  REQUIRE_THROWS_WITH(ops::layer_norm(a, Tensor::zeros({2}), Tensor::zeros({3})),
                      Contains("layer_norm"));
  const std::vector<int32_t> ids = {0, 9};
  REQUIRE_THROWS_WITH(ops::embedding(Tensor::zeros({5, 2}), ids, {2}), Contains("token id 9"));
  const std::vector<int32_t> targets = {7, 0};
  REQUIRE_THROWS_WITH(ops::cross_entropy(a, targets), Contains("target 7"));
  AttentionMask mask;
  mask.key_lengths = {1, 2, 3};
  REQUIRE_THROWS_AS(ops::masked_softmax(Tensor::zeros({2, 2, 2}), mask), ShapeError);
}

TEST_CASE("infinite negative scores get exact zeros on the vectorised path too") {
  std::vector<float> row(32, 0.5f);
  for (int i = 0; i < 32; i += 3) row[i] = -std::numeric_limits<float>::infinity();
  row[7] = -200.0f;  // underflows to 0 as well
  const auto p = ops::masked_softmax(Tensor::from_values({1, 32}, row)).to_vector();
  double total = 0.0;
  for (int i = 0; i < 32; ++i) {
    if (i % 3 == 0 || i == 7) REQUIRE(p[i] == 0.0f);
    total += p[i];
  }
  REQUIRE(total == Approx(1.0));
}

TEST_CASE("zero-width inputs give defined outputs") {
  const Tensor empty = Tensor::zeros({3, 0});
  REQUIRE(ops::sum_last(empty).to_vector() == std::vector<float>{0, 0, 0});
  const Tensor bias = Tensor::from_values({2}, std::vector<float>{1, 2});
  REQUIRE(ops::linear(empty, Tensor::zeros({2, 0}), bias).to_vector() ==
          std::vector<float>{1, 2, 1, 2, 1, 2});
}

TEST_CASE("concat of different ranks and reshape to negative extents are shape errors") {
  REQUIRE_THROWS_AS(ops::concat(std::vector{Tensor::zeros({2, 3, 4}), Tensor::zeros({2, 3})}, 2),
                    ShapeError);
  REQUIRE_THROWS_AS(ops::concat(std::vector{Tensor::zeros({2, 3}), Tensor::zeros({})}, 0),
                    ShapeError);
  REQUIRE_THROWS_WITH(ops::reshape(Tensor::zeros({6}), {-2, -3}),
                      Contains("reshape") && Contains("[-2, -3]"));
}

TEST_CASE("log, log1p, softplus, abs, neg, sqrt, clamp and where give their values") {
  const Tensor x = Tensor::from_values({4}, std::vector<float>{0.5f, 1.0f, 4.0f, 100.0f});
  const Tensor s = Tensor::from_values({4}, std::vector<float>{-20.0f, -1.0f, 0.0f, 100.0f});
  for (int i = 0; i < 4; ++i) {
    const float v = x.data()[i], w = s.data()[i];
    REQUIRE(ops::log(x).data()[i] == Approx(std::log(v)));
    REQUIRE(ops::log1p(x).data()[i] == Approx(std::log1p(v)));
    REQUIRE(ops::sqrt(x).data()[i] == Approx(std::sqrt(v)));
    REQUIRE(ops::abs(s).data()[i] == std::abs(w));
    REQUIRE(ops::neg(s).data()[i] == -w);
    REQUIRE(ops::clamp(s, -1.0f, 2.0f).data()[i] == std::min(std::max(w, -1.0f), 2.0f));
  }
  const auto softplus = ops::softplus(s).to_vector();  // stable at both ends
  REQUIRE(softplus[0] == Approx(std::exp(-20.0)).epsilon(1e-3));
  REQUIRE(softplus[1] == Approx(std::log1p(std::exp(-1.0))));
  REQUIRE(softplus[2] == Approx(std::log(2.0)));
  REQUIRE(softplus[3] == Approx(100.0f));
  const Tensor condition = Tensor::from_values({4}, std::vector<float>{1, 0, 1, 0});
  REQUIRE(ops::where(condition, x, s).to_vector() == std::vector<float>{0.5f, -1.0f, 4.0f, 100.0f});
  REQUIRE_THROWS_WITH(ops::where(condition, x, Tensor::zeros({2, 2})),
                      Contains("where: condition [4], a [4] and b [2, 2] must have one shape"));
  REQUIRE_THROWS_WITH(ops::clamp(x, 1.0f, 0.0f), Contains("clamp: low 1 is above high 0"));
}

TEST_CASE("l2_normalize gives unit rows, mask_to_bias is 0 where visible and -inf where masked") {
  const Tensor x = Tensor::from_values({2, 2}, std::vector<float>{3.0f, 4.0f, 0.0f, 0.0f});
  const auto unit = ops::l2_normalize(x).to_vector();
  REQUIRE(unit[0] == Approx(0.6f));
  REQUIRE(unit[1] == Approx(0.8f));
  REQUIRE((unit[2] == 0.0f && unit[3] == 0.0f));  // a zero row stays zero (eps), never NaN
  const Tensor bias = ops::mask_to_bias({.causal = true, .key_lengths = {2}}, {1, 3, 3});
  const float inf = std::numeric_limits<float>::infinity();
  // Query i sees keys j <= i, and only the first 2 keys are valid.
  REQUIRE(bias.to_vector() == std::vector<float>{0, -inf, -inf, 0, 0, -inf, 0, 0, -inf});
}
