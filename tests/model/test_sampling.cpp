// How generated tokens are chosen: greedy at temperature 0, softmax(logits / T)
// over the k most likely otherwise, reproducibly from the seed.
#include <attnlab/error.hpp>
#include <attnlab/model/sampling.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace attnlab;

TEST_CASE("temperature 0 is greedy, and bad settings are refused by name") {
  Rng rng(1);
  REQUIRE_FALSE(sampling_chooser(0.0, 0, rng));  // an empty chooser: the argmax
  REQUIRE_THROWS_WITH(sampling_chooser(-1.0, 0, rng), Catch::Contains("temperature: found -1"));
  REQUIRE_THROWS_WITH(sampling_chooser(NAN, 0, rng), Catch::Contains("temperature"));
  REQUIRE_THROWS_WITH(sampling_chooser(1.0, -2, rng), Catch::Contains("top-k: found -2"));
}

TEST_CASE("sampling draws tokens as often as softmax(logits / T) says, only among the top k") {
  const std::vector<float> logits{0.0f, 1.0f, 2.0f, -1.0f};
  const double temperature = 2.0;
  Rng rng(7);
  const TokenChooser choose = sampling_chooser(temperature, 0, rng);
  std::vector<double> expected, counts(logits.size(), 0.0);
  double total = 0.0;
  for (const float l : logits) total += std::exp(l / temperature);
  for (const float l : logits) expected.push_back(std::exp(l / temperature) / total);
  constexpr int kDraws = 40000;
  for (int i = 0; i < kDraws; ++i) counts[static_cast<std::size_t>(choose(logits))] += 1.0;
  for (std::size_t t = 0; t < logits.size(); ++t)
    REQUIRE(counts[t] / kDraws == Approx(expected[t]).margin(0.01));  // ~5 standard errors

  Rng top_two_rng(7);
  const TokenChooser top_two = sampling_chooser(temperature, 2, top_two_rng);
  for (int i = 0; i < 1000; ++i) {
    const int32_t token = top_two(logits);
    REQUIRE((token == 1 || token == 2));
  }
  Rng top_one_rng(7);
  const TokenChooser top_one = sampling_chooser(100.0, 1, top_one_rng);
  for (int i = 0; i < 100; ++i) REQUIRE(top_one(logits) == 2);
}

TEST_CASE("the same seed draws the same tokens") {
  const std::vector<float> logits{0.5f, 0.4f, 0.3f, 0.2f, 0.1f};
  Rng a(3), b(3), c(4);
  const TokenChooser first = sampling_chooser(1.0, 0, a), second = sampling_chooser(1.0, 0, b),
                     other = sampling_chooser(1.0, 0, c);
  std::vector<int32_t> x, y, z;
  for (int i = 0; i < 50; ++i) {
    x.push_back(first(logits));
    y.push_back(second(logits));
    z.push_back(other(logits));
  }
  REQUIRE(x == y);
  REQUIRE(x != z);
}
