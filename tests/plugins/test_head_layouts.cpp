// Head layouts: multi-head, multi-query and grouped-query attention with split
// or fixed head width.
#include <attnlab/error.hpp>
#include <attnlab/model/models.hpp>
#include <catch2/catch.hpp>

#include "support/models.hpp"
#include "support/random.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

TransformerConfig config_with(const std::string& layout,
                              std::map<std::string, std::string> params = {}) {
  TransformerConfig c = testing::tiny_config();
  c.heads = 4;
  c.head_layout = {layout, std::move(params)};
  return c;
}

Shape parameter_shape(const Module& m, const std::string& name) {
  for (auto& [n, t] : m.named_parameters())
    if (n == name) return t.shape();
  FAIL("no parameter " << name);
  return {};
}

}  // namespace

TEST_CASE("every built-in head layout is registered") {
  for (const char* name : {"mha", "mqa", "gqa"}) REQUIRE(head_layout_registry().contains(name));
}

TEST_CASE("dimensions: split keeps the width, fixed grows it, mqa/gqa share key/value heads") {
  auto dims = [](const TransformerConfig& c) { return head_dimensions(c); };
  const HeadDimensions split = dims(config_with("mha"));
  REQUIRE((split.query_heads == 4 && split.kv_heads == 4 && split.head_width == 2));
  const HeadDimensions fixed = dims(config_with("mha", {{"width", "fixed"}, {"head_dim", "5"}}));
  REQUIRE((fixed.query_heads == 4 && fixed.head_width == 5));
  REQUIRE(dims(config_with("mqa")).kv_heads == 1);
  REQUIRE(dims(config_with("gqa", {{"groups", "2"}})).kv_heads == 2);

  Rng rng(1);
  const DecoderLM mqa(config_with("mqa", {{"width", "fixed"}, {"head_dim", "3"}}), rng);
  REQUIRE(parameter_shape(mqa, "decoder.layers.0.self_attn.q_proj.weight") == Shape{12, 8});
  REQUIRE(parameter_shape(mqa, "decoder.layers.0.self_attn.k_proj.weight") == Shape{3, 8});
  REQUIRE(parameter_shape(mqa, "decoder.layers.0.self_attn.o_proj.weight") == Shape{8, 12});
}

TEST_CASE("bad layouts are refused naming the numbers") {
  REQUIRE_THROWS_WITH(head_dimensions(config_with("gqa", {{"groups", "3"}})),
                      Contains("groups = 3 does not divide heads = 4"));
  TransformerConfig odd = config_with("mha");
  odd.heads = 3;
  REQUIRE_THROWS_WITH(head_dimensions(odd), Contains("heads = 3 does not divide d_model = 8"));
  REQUIRE_THROWS_WITH(head_dimensions(config_with("mha", {{"width", "fixed"}})),
                      Contains("head_dim >= 1"));
  REQUIRE_THROWS_WITH(
      head_dimensions(config_with("mha", {{"width", "wide"}})),
      Contains("parameter 'width' must be one of split | fixed") && Contains("got 'wide'"));
}

TEST_CASE("gqa with groups = heads is mha, and mqa is gqa with one group") {
  const TokenBatch tokens{2, 5, {1, 2, 3, 4, 5, 6, 0, 1, 2, 3}, {}};
  Rng a(3), b(3), c(4), d(4);
  const DecoderLM mha(config_with("mha"), a), gqa_all(config_with("gqa", {{"groups", "4"}}), b);
  REQUIRE(mha.forward(tokens).to_vector() == gqa_all.forward(tokens).to_vector());
  const DecoderLM mqa(config_with("mqa"), c), gqa_one(config_with("gqa", {{"groups", "1"}}), d);
  REQUIRE(mqa.forward(tokens).to_vector() == gqa_one.forward(tokens).to_vector());
}

TEST_CASE("shared key/value heads: gradients and cached generation") {
  for (const auto& [layout, params] :
       std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {"mqa", {}},
           {"gqa", {{"groups", "2"}}},
           {"mha", {{"width", "fixed"}, {"head_dim", "3"}}}}) {
    INFO("layout " << layout);
    Rng rng(5);
    const DecoderLM lm(config_with(layout, params), rng);
    const TokenBatch tokens{2, 4, {1, 2, 3, 4, 5, 6, 0, 1}, {}};
    std::string report;
    const double error = testing::model_gradient_error(
        lm, [&] { return lm.forward(tokens); }, &report, 8);
    INFO(report);
    REQUIRE(error <= 1e-3);
    const Generation cached = lm.generate(tokens, 4, true), full = lm.generate(tokens, 4, false);
    REQUIRE(cached.tokens.ids == full.tokens.ids);
    for (int64_t i = 0; i < cached.logits.numel(); ++i)
      REQUIRE(cached.logits.data()[i] == Approx(full.logits.data()[i]).margin(1e-5));
  }
}
