// Built-in tasks: seeded, labelled as documented on their batches, and with the
// property each exists for.
#include <attnlab/error.hpp>
#include <attnlab/model/task_model.hpp>
#include <attnlab/task/task.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "support/models.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

std::unique_ptr<Task> make(const std::string& name, std::map<std::string, std::string> p = {}) {
  return task_registry().create(name, p, {});
}

// Row b of a batch of `length` tokens.
std::vector<int32_t> row(const TokenBatch& tokens, int64_t b) {
  return {tokens.ids.begin() + b * tokens.length, tokens.ids.begin() + (b + 1) * tokens.length};
}

}  // namespace

TEST_CASE("order: one A and one B among fillers, labelled 1 exactly when A comes first") {
  const auto task = make("order", {{"fillers", "5"}, {"length", "7"}});
  REQUIRE(task->vocab_size() == 7);
  REQUIRE(task->num_classes() == 2);
  Rng rng(3), again(3);
  const TaskBatch batch = task->sample(ModelShape::encoder, 400, 7, rng);
  REQUIRE(batch.source.ids == task->sample(ModelShape::encoder, 400, 7, again).source.ids);
  REQUIRE(batch.targets.size() == 400);  // one label per sequence
  int64_t ones = 0;
  for (int64_t b = 0; b < 400; ++b) {
    const std::vector<int32_t> x = row(batch.source, b);
    REQUIRE(std::count(x.begin(), x.end(), 5) == 1);  // A
    REQUIRE(std::count(x.begin(), x.end(), 6) == 1);  // B
    const auto a = std::find(x.begin(), x.end(), 5), b_at = std::find(x.begin(), x.end(), 6);
    REQUIRE(batch.targets[b] == (a < b_at ? 1 : 0));
    ones += batch.targets[b];
  }
  REQUIRE(ones > 150);  // both labels occur, about equally (a fair coin: 200 +- 10)
  REQUIRE(ones < 250);
  REQUIRE_THROWS_WITH(task->sample(ModelShape::decoder, 1, 7, rng), Contains("encoder"));
}

TEST_CASE("order: without positions an encoder cannot tell a sequence from its A/B swap") {
  // Swapping the markers keeps the tokens and flips the label; an encoder
  // without positional information gives both the same output, so no such
  // model beats chance (an encoder with positions does tell them apart).
  const auto task = make("order");
  Rng rng(5);
  TaskBatch batch = task->sample(ModelShape::encoder, 8, task->length(), rng);
  TaskBatch swapped = batch;
  for (int32_t& token : swapped.source.ids) token = token == 8 ? 9 : token == 9 ? 8 : token;
  for (const char* positional : {"none", "sinusoidal"}) {
    TransformerConfig c = testing::tiny_config();
    c = configure_for_task(c, *task, ModelShape::encoder, {task->length()},
                           task_registry().find("order").capabilities);
    REQUIRE(c.readout == ClassifierHead::sequence);  // one label per sequence: a pooled readout
    c.positional = {positional, {}};
    Rng init(1);
    const TaskModel model(ModelShape::encoder, c, init);
    const auto plain = model.forward(batch).to_vector(),
               flipped = model.forward(swapped).to_vector();
    REQUIRE(plain.size() == 8 * 2);
    float largest = 0.0f;
    for (std::size_t i = 0; i < plain.size(); ++i)
      largest = std::max(largest, std::abs(plain[i] - flipped[i]));
    INFO(positional << ": largest change " << largest);
    if (std::string(positional) == "none")
      REQUIRE(largest < 1e-5f);
    else
      REQUIRE(largest > 1e-3f);
  }
}

TEST_CASE(
    "multi_offset_copy: each target names the tokens at every offset, first most significant") {
  const auto task =
      make("multi_offset_copy", {{"symbols", "3"}, {"length", "9"}, {"offsets", "1, 3"}});
  REQUIRE(task->vocab_size() == 3);
  REQUIRE(task->num_classes() == 9);
  Rng rng(7), again(7);
  const TaskBatch batch = task->sample(ModelShape::encoder, 20, 9, rng);
  REQUIRE(batch.targets == task->sample(ModelShape::encoder, 20, 9, again).targets);
  REQUIRE(batch.targets.size() == 20 * 9);  // one per position
  std::set<int32_t> seen;
  for (int64_t b = 0; b < 20; ++b) {
    const std::vector<int32_t> x = row(batch.source, b);
    for (int64_t t = 0; t < 9; ++t) {
      const int32_t target = batch.targets[b * 9 + t];
      if (t < 3) {
        REQUIRE(target == kIgnoreTarget);  // an offset falls before the sequence
        continue;
      }
      REQUIRE(target == x[t - 1] * 3 + x[t - 3]);
      seen.insert(target);
    }
  }
  REQUIRE(seen.size() == 9);  // every tuple occurs
}

TEST_CASE("multi_offset_copy: bad offsets and lengths are refused by name") {
  REQUIRE_THROWS_WITH(make("multi_offset_copy", {{"offsets", "1,x"}}),
                      Contains("offsets: found 'x' in '1,x'"));
  REQUIRE_THROWS_WITH(make("multi_offset_copy", {{"offsets", "2,2"}}), Contains("listed twice"));
  REQUIRE_THROWS_WITH(make("multi_offset_copy", {{"offsets", "0"}}), Contains("found '0'"));
  REQUIRE_THROWS_WITH(make("multi_offset_copy", {{"length", "4"}, {"offsets", "1,4"}}),
                      Contains("use length > 4"));
  REQUIRE_THROWS_WITH(make("multi_offset_copy", {{"symbols", "20"}, {"offsets", "1,2,3,4"}}),
                      Contains("more than 65536"));
}
