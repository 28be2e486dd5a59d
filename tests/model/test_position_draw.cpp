// Randomized positions (Ruoss et al. 2023): the draw is uniform over ordered
// subsets, training draws afresh while evaluation repeats, and a model with
// them generates the same tokens with and without a key/value cache.
#include <attnlab/error.hpp>
#include <attnlab/model/models.hpp>
#include <attnlab/model/position_draw.hpp>
#include <attnlab/ops.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "support/models.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

float max_difference(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  float most = 0.0f;
  for (int64_t i = 0; i < a.numel(); ++i)
    most = std::max(most, std::abs(a.data()[i] - b.data()[i]));
  return most;
}

}  // namespace

TEST_CASE("randomized positions: every ordered subset equally likely, increasing, in range") {
  Rng rng(1);
  std::map<std::vector<int64_t>, int> seen;
  constexpr int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const std::vector<int64_t> positions = random_positions(2, 5, rng);
    REQUIRE(positions.size() == 2);
    REQUIRE(positions[0] < positions[1]);
    REQUIRE(positions[1] < 5);
    ++seen[positions];
  }
  REQUIRE(seen.size() == 10);  // C(5, 2)
  // Each of the 10 subsets has probability 1/10: 2000 expected, sd ~42.
  for (const auto& [subset, count] : seen) REQUIRE(std::abs(count - draws / 10) < 250);
  REQUIRE(random_positions(5, 5, rng) == std::vector<int64_t>{0, 1, 2, 3, 4});
  REQUIRE(random_positions(0, 5, rng).empty());
  REQUIRE_THROWS_WITH(random_positions(6, 5, rng),
                      Contains("cannot draw 6 distinct positions from [0, 5)"));
}

TEST_CASE("pass positions: consecutive without a range, drawn from the context's stream") {
  REQUIRE(pass_positions(0, 3, 4, {}, "decoder") == std::vector<int64_t>{3, 4, 5, 6});
  Rng rng(2);
  const ForwardContext training{
      .training = true, .dropout_rng = nullptr, .observer = nullptr, .position_rng = &rng};
  const std::vector<int64_t> first = pass_positions(64, 0, 8, training, "decoder");
  REQUIRE(pass_positions(64, 0, 8, training, "decoder") != first);  // the stream advances
  REQUIRE(first.back() >= 8);                                       // spread over [0, 64), not 0..7
  // Without a stream: a fixed draw per stack outside training, an error in training.
  const std::vector<int64_t> fixed = pass_positions(64, 0, 8, {}, "decoder");
  REQUIRE(pass_positions(64, 0, 8, {}, "decoder") == fixed);
  REQUIRE(pass_positions(64, 0, 8, {}, "encoder") != fixed);
  const ForwardContext unseeded{
      .training = true, .dropout_rng = nullptr, .observer = nullptr, .position_rng = nullptr};
  REQUIRE_THROWS_WITH(pass_positions(64, 0, 8, unseeded, "decoder"),
                      Contains("a training pass needs ForwardContext::position_rng"));
}

TEST_CASE("a decoder with randomized positions: repeatable evaluation, cache equal to recompute") {
  for (const std::string kind : {"learned", "sinusoidal", "rope", "alibi"}) {
    INFO("positional " << kind);
    TransformerConfig c = testing::tiny_config();
    c.positional = {kind, {}};
    c.max_length = 12;
    c.random_positions = 40;
    Rng rng(3);
    const DecoderLM model(c, rng);  // a learned table of 40 rows: every position drawn
    const TokenBatch tokens{1, 6, {1, 2, 3, 4, 5, 6}, {}};
    REQUIRE(model.forward(tokens).to_vector() == model.forward(tokens).to_vector());
    Rng draws(4);
    const ForwardContext training{
        .training = true, .dropout_rng = nullptr, .observer = nullptr, .position_rng = &draws};
    REQUIRE(max_difference(model.forward(tokens, training), model.forward(tokens, training)) >
            1e-4f);
    const TokenBatch prompt{1, 2, {1, 2}, {}};
    const Generation cached = model.generate(prompt, 9, true);
    const Generation recomputed = model.generate(prompt, 9, false);
    REQUIRE(cached.tokens.ids == recomputed.tokens.ids);
    REQUIRE(max_difference(cached.logits, recomputed.logits) <= 1e-5f);
  }
}

TEST_CASE("randomized positions are refused where they cannot work") {
  TransformerConfig c = testing::tiny_config();
  c.max_length = 12;
  c.random_positions = -1;
  REQUIRE_THROWS_WITH(c.validate(), Contains("positional.randomized must be 0"));
  c.random_positions = 40;
  Rng rng(5);
  const Decoder decoder(c, c.vocab_size, false, rng);
  Decoder::Cache cache;
  const TokenBatch tokens{1, 2, {1, 2}, {}};
  REQUIRE_THROWS_WITH(decoder.forward(tokens, {}, {}, {}, &cache),
                      Contains("randomized positions with a key/value cache"));
  c.random_positions = 4;  // shorter than the 6 tokens fed below
  const DecoderLM short_range(c, rng);
  REQUIRE_THROWS_WITH(short_range.forward(TokenBatch{1, 6, {1, 2, 3, 4, 5, 6}, {}}),
                      Contains("cannot draw 6 distinct positions from [0, 4)"));
}
