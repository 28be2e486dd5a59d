// Finite-difference checks of every op's backward (see support/gradcheck.hpp for the metric).
#include <attnlab/ops.hpp>
#include <catch2/catch.hpp>
#include <limits>

#include "support/gradcheck.hpp"
#include "support/random.hpp"

using namespace attnlab;
using attnlab::testing::gradient_error;
using attnlab::testing::random_variable;

namespace {

constexpr double kTolerance = 1e-3;

void require_gradients(const std::function<Tensor()>& forward,
                       const std::vector<attnlab::testing::GradCheckInput>& inputs,
                       attnlab::testing::GradCheckOptions options = {}) {
  std::string report;
  const double error = gradient_error(forward, inputs, options, &report);
  INFO(report);
  REQUIRE(error <= kTolerance);
}

}  // namespace

TEST_CASE("binary elementwise ops with broadcasting") {
  Tensor a = random_variable({2, 3, 4}, 1);
  Tensor b = random_variable({3, 4}, 2, 0.5f, 1.5f);  // away from 0 for div
  require_gradients([&] { return ops::add(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::sub(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::mul(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::div(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::scale(ops::add_scalar(a, 0.5f), -1.5f); }, {{"a", a}});
}

TEST_CASE("binary ops with NumPy broadcasting on both sides") {
  Tensor a = random_variable({2, 1, 4}, 30);
  Tensor b = random_variable({3, 1}, 31, 0.5f, 1.5f);
  require_gradients([&] { return ops::add(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::mul(a, b); }, {{"a", a}, {"b", b}});
  require_gradients([&] { return ops::div(a, b); }, {{"a", a}, {"b", b}});
  // additive attention's [B, h, T, 1, a] + [B, h, 1, S, a]: runs of the last axis
  Tensor queries = random_variable({2, 2, 3, 1, 4}, 34);
  Tensor keys = random_variable({2, 2, 1, 5, 4}, 35, 0.5f, 1.5f);
  require_gradients([&] { return ops::add(queries, keys); },
                    {{"queries", queries}, {"keys", keys}});
  require_gradients([&] { return ops::mul(queries, keys); },
                    {{"queries", queries}, {"keys", keys}});
  Tensor rows = random_variable({2, 3, 1}, 32, 0.5f, 1.5f);
  Tensor x = random_variable({2, 3, 4}, 33);
  require_gradients([&] { return ops::div(x, rows); }, {{"x", x}, {"rows", rows}});
}

TEST_CASE("unary activations") {
  // Values kept away from relu's kink so central differences stay exact.
  Tensor x = random_variable({3, 5}, 3, 0.1f, 1.0f);
  Tensor y = random_variable({3, 5}, 4, -1.0f, -0.1f);
  require_gradients(
      [&] {
        return ops::relu(ops::concat(std::vector{x, y}, 0));
      },
      {{"x", x}, {"y", y}});
  Tensor z = random_variable({4, 6}, 5, -2.0f, 2.0f);
  require_gradients([&] { return ops::gelu(z); }, {{"z", z}});
  require_gradients([&] { return ops::tanh(z); }, {{"z", z}});
  require_gradients([&] { return ops::sigmoid(z); }, {{"z", z}});
  require_gradients([&] { return ops::exp(z); }, {{"z", z}});
  require_gradients(
      [&] {
        return ops::elu(ops::concat(std::vector{x, y}, 1));
      },
      {{"x", x}, {"y", y}});
}

TEST_CASE("reductions") {
  Tensor x = random_variable({3, 4, 5}, 6);
  require_gradients([&] { return ops::sum(x); }, {{"x", x}});
  require_gradients([&] { return ops::mean(x); }, {{"x", x}});
  require_gradients([&] { return ops::sum_last(x); }, {{"x", x}});
}

TEST_CASE("matmul in every transpose combination, batched and shared") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("transpose_a " << ta << " transpose_b " << tb);
      Tensor a = random_variable(ta ? Shape{2, 3, 5, 4} : Shape{2, 3, 4, 5}, 7);
      Tensor b = random_variable(tb ? Shape{2, 3, 6, 5} : Shape{2, 3, 5, 6}, 8);
      require_gradients([&] { return ops::matmul(a, b, ta, tb); }, {{"a", a}, {"b", b}});
      Tensor shared = random_variable(tb ? Shape{6, 5} : Shape{5, 6}, 9);
      require_gradients([&] { return ops::matmul(a, shared, ta, tb); }, {{"a", a}, {"b", shared}});
    }
}

TEST_CASE("linear with and without bias") {
  Tensor x = random_variable({2, 3, 4}, 10);
  Tensor w = random_variable({5, 4}, 11);
  Tensor b = random_variable({5}, 12);
  require_gradients([&] { return ops::linear(x, w, b); }, {{"x", x}, {"weight", w}, {"bias", b}});
  require_gradients([&] { return ops::linear(x, w, Tensor()); }, {{"x", x}, {"weight", w}});
}

TEST_CASE("shape ops") {
  Tensor x = random_variable({2, 3, 8}, 13);
  require_gradients([&] { return ops::reshape(x, {6, -1}); }, {{"x", x}});
  require_gradients([&] { return ops::transpose(x, 0, 2); }, {{"x", x}});
  require_gradients([&] { return ops::merge_heads(ops::scale(ops::split_heads(x, 4), 2.0f)); },
                    {{"x", x}});
  Tensor y = random_variable({2, 5, 8}, 14);
  require_gradients([&] { return ops::concat(std::vector{x, y}, 1); }, {{"x", x}, {"y", y}});
  require_gradients([&] { return ops::slice(y, 1, 1, 3); }, {{"y", y}});
}

TEST_CASE("masked softmax with causal and padding masks") {
  Tensor scores = random_variable({2, 3, 4, 4}, 15, -2.0f, 2.0f);
  require_gradients([&] { return ops::masked_softmax(scores); }, {{"scores", scores}});
  AttentionMask mask;
  mask.causal = true;
  mask.key_lengths = {4, 2};
  require_gradients([&] { return ops::masked_softmax(scores, mask); }, {{"scores", scores}});
}

TEST_CASE("log-softmax and cross-entropy with an ignored target") {
  Tensor logits = random_variable({2, 3, 5}, 16, -2.0f, 2.0f);
  require_gradients([&] { return ops::log_softmax(logits); }, {{"logits", logits}});
  const std::vector<int32_t> targets = {0, 4, -100, 2, 1, 3};
  require_gradients([&] { return ops::cross_entropy(logits, targets); }, {{"logits", logits}});
}

TEST_CASE("layer norm") {
  Tensor x = random_variable({3, 4, 8}, 17, -2.0f, 2.0f);
  Tensor w = random_variable({8}, 18, 0.5f, 1.5f);
  Tensor b = random_variable({8}, 19);
  require_gradients([&] { return ops::layer_norm(x, w, b); },
                    {{"x", x}, {"weight", w}, {"bias", b}});
}

TEST_CASE("embedding accumulates repeated ids") {
  Tensor table = random_variable({5, 3}, 20);
  const std::vector<int32_t> ids = {1, 4, 1, 0, 1, 2};
  require_gradients([&] { return ops::embedding(table, ids, {2, 3}); }, {{"table", table}});
}

TEST_CASE("dropout with a re-seeded generator") {
  Tensor x = random_variable({4, 8}, 21);
  require_gradients(
      [&] {
        std::mt19937_64 rng(5);
        return ops::dropout(x, 0.3f, rng);
      },
      {{"x", x}});
}

TEST_CASE("log, log1p, softplus, abs, neg, sqrt, clamp and where") {
  Tensor positive = random_variable({3, 4}, 31, 0.5f, 2.0f);
  Tensor any = random_variable({3, 4}, 32);
  require_gradients([&] { return ops::log(positive); }, {{"x", positive}});
  require_gradients([&] { return ops::log1p(positive); }, {{"x", positive}});
  require_gradients([&] { return ops::sqrt(positive); }, {{"x", positive}});
  require_gradients([&] { return ops::softplus(any); }, {{"x", any}});
  require_gradients([&] { return ops::neg(any); }, {{"x", any}});
  // Away from the kinks (|x| and the clamp bounds are not differentiable there).
  Tensor away = Tensor::from_values({6}, std::vector<float>{-1.5f, -0.7f, -0.3f, 0.4f, 0.8f, 1.6f});
  away.requires_grad();
  require_gradients([&] { return ops::abs(away); }, {{"x", away}});
  require_gradients([&] { return ops::clamp(away, -1.0f, 1.0f); }, {{"x", away}});
  Tensor other = random_variable({6}, 33);
  const Tensor condition = Tensor::from_values({6}, std::vector<float>{1, 0, 0, 1, 1, 0});
  require_gradients([&] { return ops::where(condition, away, other); },
                    {{"a", away}, {"b", other}});
}

TEST_CASE("l2_normalize and masked scores through mask_to_bias") {
  Tensor x = random_variable({2, 3, 4}, 34);
  require_gradients([&] { return ops::l2_normalize(x); }, {{"x", x}});
  Tensor scores = random_variable({2, 3, 5}, 35);
  const AttentionMask mask{.causal = true, .key_lengths = {5, 3}};
  // The bias is a constant: masked entries of scores get no gradient, the rest pass through.
  require_gradients(
      [&] {
        return ops::masked_softmax(ops::add(scores, ops::mask_to_bias(mask, scores.shape())));
      },
      {{"scores", scores}});
}

// The first op to write an intermediate gradient assigns it instead of adding to
// a zero-filled buffer, and reshape hands its gradient buffer to its input:
// every other contribution must still be added to it.
TEST_CASE("a tensor used several times receives every contribution") {
  Tensor x = random_variable({2, 3, 4}, 40);
  Tensor w = random_variable({4, 4}, 41);
  auto h = [&] { return ops::scale(x, 1.5f); };  // an intermediate, gradient created in backward
  require_gradients(
      [&] {
        const Tensor t = h();
        return ops::add(t, t);
      },
      {{"x", x}});
  require_gradients(
      [&] {
        const Tensor t = h();
        return ops::mul(t, t);
      },
      {{"x", x}});
  require_gradients(
      [&] {
        const Tensor t = h();
        return ops::matmul(t, t, false, true);
      },
      {{"x", x}});
  require_gradients(
      [&] {
        const Tensor t = h();
        return ops::add(ops::reshape(ops::relu(ops::reshape(t, {6, 4})), {2, 3, 4}),
                        ops::linear(t, w, Tensor()));
      },
      {{"x", x}, {"w", w}});
  require_gradients(
      [&] {
        const Tensor t = h();
        return ops::add(ops::merge_heads(ops::split_heads(t, 2)),
                        ops::layer_norm(t, Tensor::full({4}, 1.0f), Tensor::zeros({4})));
      },
      {{"x", x}});
}

TEST_CASE("a scaled matmul is the matmul scaled, forward and backward") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("transpose_a " << ta << " transpose_b " << tb);
      Tensor a = random_variable(ta ? Shape{2, 3, 5, 4} : Shape{2, 3, 4, 5}, 42);
      Tensor b = random_variable(tb ? Shape{2, 3, 6, 5} : Shape{2, 3, 5, 6}, 43);
      require_gradients([&] { return ops::matmul(a, b, ta, tb, -0.37f); }, {{"a", a}, {"b", b}});
      const Tensor fused = ops::matmul(a, b, ta, tb, 0.25f);
      const Tensor apart = ops::scale(ops::matmul(a, b, ta, tb), 0.25f);
      REQUIRE(fused.to_vector() == apart.to_vector());  // a power of two scales exactly
    }
}

// An empty batch is no product at all: no division by the items per call, and
// a shared B (transposed A, so not one tall product) gets a gradient of zeros,
// not what its new buffer happened to hold.
TEST_CASE("matmul of an empty batch gives empty results and zero gradients") {
  const Tensor a = Tensor::zeros({0, 4, 4});
  REQUIRE(ops::matmul(a, Tensor::zeros({0, 4, 4})).shape() == Shape{0, 4, 4});
  REQUIRE(ops::matmul(a, Tensor::zeros({0, 4, 4}), false, true, 0.5f).numel() == 0);
  Tensor shared = Tensor::full({4, 3}, 7.0f);
  shared.requires_grad();
  Tensor input = Tensor::zeros({0, 4, 5});
  input.requires_grad();
  {  // a freed buffer of the gradient's size, full of NaN, for the pool to hand out again
    const Tensor poison = Tensor::full({4, 3}, std::numeric_limits<float>::quiet_NaN());
  }
  ops::sum(ops::matmul(input, shared, true, false)).backward();
  REQUIRE(shared.grad().size() == 12);
  for (float g : shared.grad()) REQUIRE(g == 0.0f);
}
