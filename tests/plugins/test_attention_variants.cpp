// Conformance of every registered attention variant: shapes, gradients, the
// contract output == weights v, and masks that leak nothing. A new variant is
// covered as soon as it registers.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/attention/multi_head_attention.hpp>
#include <attnlab/ops.hpp>
#include <catch2/catch.hpp>

#include "support/gradcheck.hpp"
#include "support/random.hpp"

using namespace attnlab;

namespace {

constexpr int64_t B = 2, H = 2, T = 5, D = 4;

std::unique_ptr<AttentionVariant> build(const std::string& name, Rng& rng) {
  return attention_registry().create(name, {}, {.heads = H, .head_width = D, .rng = rng});
}

// Max |a - b| over the first `count` elements of each row of `length` elements.
float prefix_difference(const Tensor& a, const Tensor& b, int64_t rows_per_item,
                        int64_t keep_rows) {
  float largest = 0.0f;
  const int64_t width = a.size(-1);
  for (int64_t row = 0; row < a.numel() / width; ++row)
    if (row % rows_per_item < keep_rows)
      for (int64_t j = 0; j < width; ++j)
        largest =
            std::max(largest, std::abs(a.data()[row * width + j] - b.data()[row * width + j]));
  return largest;
}

}  // namespace

TEST_CASE("every attention variant: shapes and output == weights v") {
  for (const std::string& name : attention_registry().names()) {
    INFO("variant " << name);
    Rng rng(1);
    const auto variant = build(name, rng);
    const Tensor q = testing::random_tensor({B, H, T, D}, 1),
                 k = testing::random_tensor({B, H, 7, D}, 2);
    const Tensor v = testing::random_tensor({B, H, 7, D}, 3);
    const AttentionResult r =
        variant->attend(q, k, v, {.causal = true, .key_lengths = {7, 4}}, Tensor());
    REQUIRE(r.output.shape() == Shape{B, H, T, D});
    if (!attention_registry().find(name).capabilities.returns_weights) continue;
    REQUIRE(r.weights.shape() == Shape{B, H, T, 7});
    const auto expected = ops::matmul(r.weights, v).to_vector();
    const auto actual = r.output.to_vector();
    for (std::size_t i = 0; i < actual.size(); ++i)
      REQUIRE(actual[i] == Approx(expected[i]).margin(1e-6));
  }
}

TEST_CASE("every attention variant passes the gradient check") {
  for (const std::string& name : attention_registry().names()) {
    INFO("variant " << name);
    Rng rng(2);
    const auto variant = build(name, rng);
    Tensor q = testing::random_variable({B, H, T, D}, 4),
           k = testing::random_variable({B, H, T, D}, 5);
    Tensor v = testing::random_variable({B, H, T, D}, 6);
    std::vector<testing::GradCheckInput> inputs{{"q", q}, {"k", k}, {"v", v}};
    for (auto& [param, tensor] : variant->named_parameters()) inputs.push_back({param, tensor});
    const AttentionMask mask{.causal = true, .key_lengths = {5, 3}};
    std::string report;
    const double error = testing::gradient_error(
        [&] { return variant->attend(q, k, v, mask, Tensor()).output; }, inputs, {}, &report);
    INFO(report);
    REQUIRE(error <= 1e-3);
  }
}

TEST_CASE("every attention variant that claims the causal mask leaks nothing from the future") {
  for (const std::string& name : attention_registry().names()) {
    if (!attention_registry().find(name).capabilities.causal_mask) continue;
    INFO("variant " << name);
    Rng rng(3);
    const auto variant = build(name, rng);
    const Tensor q = testing::random_tensor({B, H, T, D}, 7);
    Tensor k = testing::random_tensor({B, H, T, D}, 8), v = testing::random_tensor({B, H, T, D}, 9);
    const AttentionMask causal{.causal = true, .key_lengths = {}};
    const Tensor before = variant->attend(q, k, v, causal, Tensor()).output;
    for (int64_t i = 0; i + 1 < T; ++i) {
      Tensor k2 = testing::random_tensor({B, H, T, D}, 20 + i),
             v2 = testing::random_tensor({B, H, T, D}, 40 + i);
      // Keep positions <= i, change everything after.
      for (int64_t row = 0; row < B * H * T; ++row)
        if (row % T <= i)
          for (int64_t j = 0; j < D; ++j) {
            k2.data()[row * D + j] = k.data()[row * D + j];
            v2.data()[row * D + j] = v.data()[row * D + j];
          }
      const Tensor after = variant->attend(q, k2, v2, causal, Tensor()).output;
      REQUIRE(prefix_difference(before, after, T, i + 1) == 0.0f);
    }
  }
}

TEST_CASE("every attention variant that claims key padding ignores padded keys") {
  for (const std::string& name : attention_registry().names()) {
    if (!attention_registry().find(name).capabilities.padding_mask) continue;
    INFO("variant " << name);
    Rng rng(4);
    const auto variant = build(name, rng);
    const Tensor q = testing::random_tensor({1, H, T, D}, 10);
    Tensor k = testing::random_tensor({1, H, T, D}, 11),
           v = testing::random_tensor({1, H, T, D}, 12);
    const AttentionMask padded{.causal = false, .key_lengths = {3}};
    const Tensor before = variant->attend(q, k, v, padded, Tensor()).output;
    for (int64_t row = 0; row < H * T; ++row)
      if (row % T >= 3)
        for (int64_t j = 0; j < D; ++j) k.data()[row * D + j] = v.data()[row * D + j] = 9.0f;
    const Tensor after = variant->attend(q, k, v, padded, Tensor()).output;
    REQUIRE(prefix_difference(before, after, 1, 1) == 0.0f);
  }
}

TEST_CASE("local attention sees exactly `window` keys, bidirectional or causal") {
  Rng rng(5);
  for (int64_t window : {1, 2, 3, 4, 8}) {
    INFO("window " << window);
    const auto local = attention_registry().create("local", {{"window", std::to_string(window)}},
                                                   {.heads = 1, .head_width = D, .rng = rng});
    const int64_t length = 20;
    const Tensor q = Tensor::zeros({1, 1, length, D}), k = Tensor::zeros({1, 1, length, D});
    const Tensor v = Tensor::zeros({1, 1, length, D});
    for (bool causal : {false, true}) {
      const Tensor w =
          local->attend(q, k, v, {.causal = causal, .key_lengths = {}}, Tensor()).weights;
      const int64_t middle = 10;  // far from both ends
      int64_t visible = 0;
      for (int64_t j = 0; j < length; ++j) visible += w.data()[middle * length + j] > 0.0f;
      REQUIRE(visible == window);
    }
  }
}
