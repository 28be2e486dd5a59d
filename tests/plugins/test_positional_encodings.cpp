// Properties of the built-in positional encodings, and conformance of every
// registered one (gradients, causality, cached generation).
#include <attnlab/error.hpp>
#include <attnlab/model/models.hpp>
#include <attnlab/ops.hpp>
#include <catch2/catch.hpp>
#include <cmath>

#include "support/models.hpp"
#include "support/random.hpp"

namespace attnlab {
// Defined in plugins/positional/ for exactly these checks.
std::vector<double> alibi_slopes(int64_t heads);
int32_t t5_bucket(int64_t relative, bool bidirectional, int64_t buckets, int64_t max_distance);
}  // namespace attnlab

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

std::unique_ptr<PositionalEncoding> build(const std::string& name, int64_t d_model, int64_t heads,
                                          Rng& rng,
                                          std::map<std::string, std::string> params = {}) {
  return positional_registry().create(name, params,
                                      {.d_model = d_model,
                                       .heads = heads,
                                       .head_width = d_model / heads,
                                       .max_length = 16,
                                       .rng = rng});
}

TransformerConfig tiny(const std::string& positional) {
  TransformerConfig c = testing::tiny_config();
  c.encoder_layers = 1;
  c.positional = {positional, {}};
  return c;
}

}  // namespace

TEST_CASE("every built-in positional encoding is registered") {
  for (const char* name : {"none", "sinusoidal", "learned", "rope", "alibi", "t5_bias"}) {
    INFO(name);
    REQUIRE(positional_registry().contains(name));
  }
}

TEST_CASE("sinusoidal values equal the formula, at any positions") {
  Rng rng(1);
  const auto pe = build("sinusoidal", 8, 2, rng);
  const std::vector<int64_t> positions{3, 11};
  const Tensor table = pe->embedding_term(positions);
  REQUIRE(table.shape() == Shape{2, 8});
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 4; ++i) {
      const double angle = static_cast<double>(positions[t]) / std::pow(10000.0, 2.0 * i / 8.0);
      REQUIRE(table.data()[t * 8 + 2 * i] == Approx(std::sin(angle)).margin(1e-6));
      REQUIRE(table.data()[t * 8 + 2 * i + 1] == Approx(std::cos(angle)).margin(1e-6));
    }
}

TEST_CASE("rope scores depend only on the offset between positions") {
  Rng rng(2);
  const auto pe = build("rope", 16, 2, rng);
  const Tensor q = testing::random_tensor({1, 2, 1, 8}, 3),
               k = testing::random_tensor({1, 2, 1, 8}, 4);
  auto score = [&](int64_t m, int64_t n) {
    const std::vector<int64_t> query_at{m}, key_at{n};
    const auto [rq, rk] = pe->rotate(q, query_at, k, key_at);
    return ops::sum(ops::mul(rq, rk)).item();
  };
  for (int64_t shift : {1, 5, 37})
    for (auto [m, n] : {std::pair<int64_t, int64_t>{0, 0}, {3, 1}, {2, 7}})
      REQUIRE(score(m + shift, n + shift) == Approx(score(m, n)).margin(1e-4));
  REQUIRE(std::abs(score(3, 1) - score(1, 3)) > 1e-3);  // the offset's sign matters
  const std::vector<int64_t> start{0};
  REQUIRE(pe->rotate(q, start, k, start).first.to_vector() == q.to_vector());  // 0: no rotation
}

TEST_CASE("ALiBi slopes: the paper's for 8 heads, the documented rule for 6") {
  const auto eight = alibi_slopes(8);
  for (int k = 0; k < 8; ++k) REQUIRE(eight[k] == Approx(std::pow(2.0, -(k + 1))));
  // 6 heads: slopes of 4 heads (2^-2, 2^-4, 2^-6, 2^-8), then every other slope of 8 heads (2^-1,
  // 2^-3).
  const std::vector<double> six{0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125};
  const auto got = alibi_slopes(6);
  REQUIRE(got.size() == 6);
  for (int k = 0; k < 6; ++k) REQUIRE(got[k] == Approx(six[k]));
  Rng rng(5);
  const std::vector<int64_t> queries{2, 3, 9}, keys{0, 1, 2, 3, 9};
  const Tensor bias = build("alibi", 16, 8, rng)->score_bias(queries, keys, true);  // [h, T, S]
  REQUIRE(bias.shape() == Shape{8, 3, 5});
  // Head 0 (slope 1/2), last query (position 9), key 1: distance 8.
  REQUIRE(bias.data()[(0 * 3 + 2) * 5 + 1] == Approx(-4.0f));
}

TEST_CASE("T5 buckets: exact near, logarithmic far, split by direction") {
  REQUIRE(t5_bucket(0, true, 32, 128) == 0);
  REQUIRE(t5_bucket(-1, true, 32, 128) == 1);
  REQUIRE(t5_bucket(1, true, 32, 128) == 17);
  REQUIRE(t5_bucket(-7, true, 32, 128) == 7);
  REQUIRE(t5_bucket(-100, true, 32, 128) == 15);
  REQUIRE(t5_bucket(-100000, true, 32, 128) == 15);
  REQUIRE(t5_bucket(5, false, 32, 128) == 0);  // causal: future offsets share bucket 0
  REQUIRE(t5_bucket(-20, false, 32, 128) ==
          17);  // 16 + floor(ln(20/16) / ln(128/16) * 16) = 16 + 1
}

TEST_CASE("a learned table asked past its length is a clear error") {
  Rng rng(6);
  const auto pe = build("learned", 8, 2, rng, {{"length", "4"}});
  REQUIRE(pe->embedding_term(consecutive_positions(0, 4)).shape() == Shape{4, 8});
  REQUIRE_THROWS_WITH(pe->embedding_term(consecutive_positions(2, 3)),
                      Contains("table of 4 positions but position 4 was asked for"));
}

TEST_CASE("every positional encoding: gradients of a model using it") {
  for (const std::string& name : positional_registry().names()) {
    // A ReLU network of the distance: finite differences through a whole model
    // cross its kinks. Its gradients are matched to PyTorch's (tests/parity) and
    // checked at the encoding, where steps fit between kinks (check-plugin).
    if (name == "fire") continue;
    INFO("positional " << name);
    Rng rng(7);
    const DecoderLM model(tiny(name), rng);
    const TokenBatch tokens{2, 4, {1, 2, 3, 4, 5, 6, 0, 1}, {}};
    std::string report;
    const double error = testing::model_gradient_error(
        model, [&] { return model.forward(tokens); }, &report, 8);
    INFO(report);
    REQUIRE(error <= 1e-3);
  }
}

TEST_CASE("every positional encoding: cached generation equals recomputing the prefix") {
  for (const std::string& name : positional_registry().names()) {
    INFO("positional " << name);
    Rng rng(8);
    const DecoderLM lm(tiny(name), rng);
    const TokenBatch prompt{2, 3, {1, 2, 3, 4, 5, 6}, {}};
    const Generation cached = lm.generate(prompt, 6, true), full = lm.generate(prompt, 6, false);
    REQUIRE(cached.tokens.ids == full.tokens.ids);
    for (int64_t i = 0; i < cached.logits.numel(); ++i)
      REQUIRE(cached.logits.data()[i] == Approx(full.logits.data()[i]).margin(1e-5));
  }
}

TEST_CASE("every positional encoding: a decoder never sees the future") {
  for (const std::string& name : positional_registry().names()) {
    INFO("positional " << name);
    Rng rng(9);
    const DecoderLM lm(tiny(name), rng);
    const TokenBatch a{1, 5, {1, 2, 3, 4, 5}, {}}, b{1, 5, {1, 2, 6, 0, 2}, {}};
    const Tensor la = lm.forward(a), lb = lm.forward(b);
    for (int64_t i = 0; i < 2 * 7; ++i) REQUIRE(la.data()[i] == lb.data()[i]);
  }
}
