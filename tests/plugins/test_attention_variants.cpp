// Conformance of every registered component, through the kit plugin authors
// run with `attnlab check-plugin` (attnlab/conformance/conformance.hpp): a new
// component is covered as soon as it registers. Variant-specific properties
// follow.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/conformance/conformance.hpp>
#include <attnlab/model/models.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/process/allocator.hpp>
#include <attnlab/task/task.hpp>
#include <catch2/catch.hpp>

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t D = 4;

// Every check of the conformance kit passed, or the failing ones with what they measured.
void require_conformance(const conformance::ComponentReport& report) {
  std::string failures;
  for (const conformance::Check& check : report.checks)
    if (!check.skipped && !check.passed) failures += check.name + ": " + check.detail + "\n";
  INFO(report.kind << " '" << report.name << "':\n" << failures);
  REQUIRE(report.passed());
}

}  // namespace

// The default cases; a third of them under the sanitizers, several times
// slower (the Release suite runs the default, check-plugin --thorough more).
const conformance::CheckOptions kOptions{
    .seed = 1, .cases = kSanitizerAllocator ? 8 : 0, .replay = std::nullopt, .thorough = false};

TEST_CASE("every attention variant honours every capability it claims (conformance kit)") {
  for (const std::string& name : attention_registry().names())
    require_conformance(conformance::check_attention_variant(name, kOptions));
}

TEST_CASE("every positional encoding, head layout and task passes its conformance checks") {
  for (const std::string& name : positional_registry().names())
    require_conformance(conformance::check_positional_encoding(name, kOptions));
  for (const std::string& name : head_layout_registry().names())
    require_conformance(conformance::check_head_layout(name, kOptions));
  for (const std::string& name : task_registry().names())
    require_conformance(conformance::check_task(name, kOptions));
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
          local->attend(q, k, v, {.causal = causal, .key_lengths = {}}, Tensor(), {}).weights;
      const int64_t middle = 10;  // far from both ends
      int64_t visible = 0;
      for (int64_t j = 0; j < length; ++j) visible += w.data()[middle * length + j] > 0.0f;
      REQUIRE(visible == window);
    }
  }
}

TEST_CASE("softmax_one lets a query attend to nothing: weights below one, fully masked rows 0") {
  Rng rng(6);
  const auto variant =
      attention_registry().create("softmax_one", {}, {.heads = 1, .head_width = D, .rng = rng});
  const Tensor q = Tensor::zeros({1, 1, 2, D}), k = Tensor::zeros({1, 1, 3, D});
  const Tensor v = Tensor::full({1, 1, 3, D}, 1.0f);
  // Zero scores: each of 3 keys and the sink get e^0, so each key weighs 1/4.
  const AttentionResult open = variant->attend(q, k, v, {}, Tensor(), {});
  for (float w : open.weights.to_vector()) REQUIRE(w == Approx(0.25f));
  // Key length 0: every key masked, so all weight goes to the sink and the output is 0.
  const AttentionResult closed =
      variant->attend(q, k, v, {.causal = false, .key_lengths = {0}}, {}, {});
  for (float x : closed.output.to_vector()) REQUIRE(x == 0.0f);
}

TEST_CASE("selective attention: a key selected away by earlier queries loses weight, never key 0") {
  Rng rng(7);
  const auto variant =
      attention_registry().create("selective", {}, {.heads = 1, .head_width = 1, .rng = rng});
  // q = k = 1 everywhere: every logit is 1, so each earlier query k selects every
  // key j (0 < j, j != k, j <= k) away by ReLU(1) = 1.
  const Tensor q = Tensor::full({1, 1, 4, 1}, 1.0f), k = Tensor::full({1, 1, 4, 1}, 1.0f);
  const Tensor v = Tensor::zeros({1, 1, 4, 1});
  const AttentionResult result =
      variant->attend(q, k, v, {.causal = true, .key_lengths = {}}, Tensor(), {});
  // Query 3's F sums the selections of queries 0-2: query 0 sees key 0 only
  // (never selected), query 1 keys 0 and its own, query 2 selects key 1. So F =
  // [0, 1, 0, 0] on logits of 1.
  const std::vector<float> scores = result.scores.to_vector();
  REQUIRE(scores[12 + 0] == Approx(1.0f));
  REQUIRE(scores[12 + 1] == Approx(0.0f));
  REQUIRE(scores[12 + 2] == Approx(1.0f));
  REQUIRE(scores[12 + 3] == Approx(1.0f));
}

TEST_CASE("a variant that reads earlier queries is refused a key/value cache, and generates") {
  TransformerConfig c;
  c.vocab_size = 8;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 8;
  c.decoder_layers = 1;
  c.max_length = 16;
  c.attention = {"selective", {}};
  Rng rng(8);
  const DecoderLM model(c, rng);
  const TokenBatch prompt{1, 3, {1, 2, 3}, {}};
  REQUIRE_THROWS_WITH(model.generate(prompt, 4, true),
                      Contains("attention variant 'selective' reads earlier queries"));
  REQUIRE(model.generate(prompt, 4, false).tokens.length == 7);
  // Its queries select keys of their own sequence: no cross-attention.
  REQUIRE_THROWS_WITH(EncoderDecoder(c, rng),
                      Contains("attention variant 'selective' does not honour keys from another "
                               "sequence"));
}
