// Built-in tasks: seeded, labelled as documented on their batches, and with the
// property each exists for.
#include <fmt/format.h>
#include <unistd.h>

#include <attnlab/error.hpp>
#include <attnlab/model/task_model.hpp>
#include <attnlab/task/task.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
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

namespace {

// The tokens a decoder row reads followed by the one it predicts last: the
// sequence the row was cut from, when every target is the next token.
struct DecoderRow {
  std::vector<int32_t> input, targets;
};

DecoderRow decoder_row(const TaskBatch& batch, int64_t b) {
  const int64_t width = batch.target_input.length;
  return {row(batch.target_input, b),
          {batch.targets.begin() + b * width, batch.targets.begin() + (b + 1) * width}};
}

void require_same_batches(const Task& task, ModelShape shape, int64_t length) {
  Rng rng(21), again(21), other(22);
  const TaskBatch a = task.sample(shape, 16, length, rng),
                  b = task.sample(shape, 16, length, again),
                  c = task.sample(shape, 16, length, other);
  REQUIRE(a.source.ids == b.source.ids);
  REQUIRE(a.target_input.ids == b.target_input.ids);
  REQUIRE(a.targets == b.targets);
  REQUIRE(a.targets != c.targets);  // another seed, other data
  const int64_t width = task.sequence_length(shape, length);
  REQUIRE((shape == ModelShape::encoder ? a.source : a.target_input).length <= width);
}

}  // namespace

TEST_CASE("induction: filler, then a repeat, the second copy is scored from its second token") {
  const auto task = make("induction", {{"symbols", "10"}, {"length", "6"}, {"min_repeat", "3"}});
  REQUIRE(task->vocab_size() == 11);
  require_same_batches(*task, ModelShape::decoder, 6);
  Rng rng(4);
  const TaskBatch batch = task->sample(ModelShape::decoder, 300, 6, rng);
  REQUIRE(batch.target_input.length == 12);
  std::set<int64_t> repeats;
  for (int64_t b = 0; b < 300; ++b) {
    const DecoderRow r = decoder_row(batch, b);
    std::vector<int32_t> sequence(r.input);
    sequence.push_back(r.targets.back());
    REQUIRE(sequence[0] == 10);  // BOS
    const auto scored = std::count_if(r.targets.begin(), r.targets.end(),
                                      [](int32_t t) { return t != kIgnoreTarget; });
    const int64_t n = scored + 1, m = 2 * (6 - n);  // r_2 .. r_n scored, after m fillers
    repeats.insert(n);
    const std::vector<int32_t> first(sequence.begin() + 1 + m, sequence.begin() + 1 + m + n),
        second(sequence.begin() + 1 + m + n, sequence.end());
    REQUIRE(first == second);
    REQUIRE(std::set<int32_t>(first.begin(), first.end()).size() == static_cast<std::size_t>(n));
    for (int64_t p = 0; p < 12; ++p) {
      const bool in_answer = p >= m + n + 1;  // reads r_i of the second copy, i >= 1
      REQUIRE((r.targets[p] != kIgnoreTarget) == in_answer);
      if (in_answer) REQUIRE(r.targets[p] == first[p - m - n]);  // r_{i+1} follows r_i
    }
  }
  REQUIRE(repeats == std::set<int64_t>{3, 4, 5, 6});  // n varies over its whole range
  REQUIRE_THROWS_WITH(make("induction", {{"symbols", "4"}, {"length", "6"}}),
                      Contains("[2, 3]"));  // symbols - 1: the filler needs a token of its own
}

TEST_CASE(
    "mqar: keys and values come from disjoint halves, and each query is scored on its value") {
  const auto task = make("mqar", {{"symbols", "20"}, {"length", "5"}});
  REQUIRE(task->vocab_size() == 20);
  require_same_batches(*task, ModelShape::decoder, 5);
  Rng rng(8);
  const TaskBatch batch = task->sample(ModelShape::decoder, 100, 5, rng);
  REQUIRE(batch.target_input.length == 19);
  for (int64_t b = 0; b < 100; ++b) {
    DecoderRow r = decoder_row(batch, b);
    std::vector<int32_t> sequence(r.input);
    sequence.push_back(r.targets.back());  // the last value is only a target
    std::map<int32_t, int32_t> value_of;
    for (int64_t i = 0; i < 5; ++i) {
      const int32_t key = sequence[2 * i], value = sequence[2 * i + 1];
      REQUIRE(key < 10);  // keys: the first half
      REQUIRE(value >= 10);
      REQUIRE(value < 20);                // values: the second half
      REQUIRE(value_of.count(key) == 0);  // distinct keys
      value_of[key] = value;
    }
    std::set<int32_t> queried;
    for (int64_t p = 0; p < 19; ++p) {
      const bool answers = p >= 10 && p % 2 == 0;  // position p reads query key sequence[p]
      REQUIRE((r.targets[p] != kIgnoreTarget) == answers);
      if (!answers) continue;
      REQUIRE(r.targets[p] == value_of.at(sequence[p]));
      queried.insert(sequence[p]);
    }
    REQUIRE(queried.size() == 5);  // every key is asked once
  }
  REQUIRE_THROWS_WITH(make("mqar", {{"symbols", "9"}}), Contains("even"));
  REQUIRE_THROWS_WITH(make("mqar", {{"symbols", "8"}, {"length", "5"}}), Contains("[1, 4]"));
}

TEST_CASE("selective_copy: the answer is the content tokens in order, noise left out") {
  const auto task = make("selective_copy", {{"symbols", "6"}, {"length", "10"}, {"copies", "3"}});
  REQUIRE(task->vocab_size() == 8);
  const int32_t noise = 6, separator = 7;
  require_same_batches(*task, ModelShape::decoder, 10);
  require_same_batches(*task, ModelShape::encoder_decoder, 10);
  Rng rng(2), same(2);
  const TaskBatch lm = task->sample(ModelShape::decoder, 50, 10, rng);
  const TaskBatch seq2seq = task->sample(ModelShape::encoder_decoder, 50, 10, same);
  for (int64_t b = 0; b < 50; ++b) {
    const DecoderRow r = decoder_row(lm, b);
    const std::vector<int32_t> x(r.input.begin(), r.input.begin() + 10);
    REQUIRE(std::count(x.begin(), x.end(), noise) == 7);
    std::vector<int32_t> content;
    for (const int32_t token : x)
      if (token != noise) content.push_back(token);
    REQUIRE(r.input[10] == separator);
    const std::vector<int32_t> scored(r.targets.begin() + 10, r.targets.end());
    REQUIRE(scored == content);
    REQUIRE(std::all_of(r.targets.begin(), r.targets.begin() + 10,
                        [](int32_t t) { return t == kIgnoreTarget; }));
    // The encoder-decoder form of the same draw: source x, targets the content.
    REQUIRE(row(seq2seq.source, b) == x);
    REQUIRE(std::vector<int32_t>(seq2seq.targets.begin() + 3 * b,
                                 seq2seq.targets.begin() + 3 * b + 3) == content);
    REQUIRE(row(seq2seq.target_input, b) ==
            std::vector<int32_t>{separator, content[0], content[1]});
  }
  REQUIRE_THROWS_WITH(make("selective_copy", {{"length", "3"}, {"copies", "4"}}),
                      Contains("use length >= 4"));
}

TEST_CASE("shift: every target is the token k places back, at any evaluated length") {
  const auto task = make("shift", {{"symbols", "5"}, {"length", "8"}, {"distance", "3"}});
  require_same_batches(*task, ModelShape::decoder, 8);
  for (const int64_t length : {8, 16, 32}) {
    Rng rng(length);
    const TaskBatch batch = task->sample(ModelShape::decoder, 10, length, rng);
    REQUIRE(batch.target_input.length == length);
    for (int64_t b = 0; b < 10; ++b) {
      const DecoderRow r = decoder_row(batch, b);
      for (int64_t t = 0; t < length; ++t)
        REQUIRE(r.targets[t] == (t < 3 ? kIgnoreTarget : r.input[t - 3]));
    }
  }
  REQUIRE_THROWS_WITH(make("shift", {{"length", "3"}, {"distance", "3"}}),
                      Contains("use length > 3"));
}

TEST_CASE("sort: the answer is the input in ascending order") {
  const auto task = make("sort", {{"symbols", "5"}, {"length", "7"}});
  Rng rng(6);
  const TaskBatch batch = task->sample(ModelShape::encoder_decoder, 30, 7, rng);
  for (int64_t b = 0; b < 30; ++b) {
    std::vector<int32_t> x = row(batch.source, b);
    const std::vector<int32_t> y(batch.targets.begin() + 7 * b, batch.targets.begin() + 7 * b + 7);
    REQUIRE(std::is_sorted(y.begin(), y.end()));
    std::sort(x.begin(), x.end());
    REQUIRE(y == x);  // the same tokens
  }
  REQUIRE(row(make("sort")->sample(ModelShape::encoder, 1, 4, rng).source, 0).size() == 4);
}

TEST_CASE("fib_mod: each token after the two seeds is the sum of the two before, mod m") {
  const auto task = make("fib_mod", {{"modulus", "7"}, {"length", "12"}});
  require_same_batches(*task, ModelShape::decoder, 12);
  Rng rng(3);
  const TaskBatch batch = task->sample(ModelShape::decoder, 20, 12, rng);
  REQUIRE(batch.target_input.length == 11);
  for (int64_t b = 0; b < 20; ++b) {
    const DecoderRow r = decoder_row(batch, b);
    std::vector<int32_t> sequence(r.input);
    sequence.push_back(r.targets.back());
    REQUIRE(r.targets[0] == kIgnoreTarget);  // predicting the second seed
    for (int64_t t = 2; t < 12; ++t) {
      REQUIRE(sequence[t] == (sequence[t - 1] + sequence[t - 2]) % 7);
      REQUIRE(r.targets[t - 1] == sequence[t]);
    }
  }
  // A hand-made case: seeds 3, 5 mod 7 continue 1, 6, 0, 6, 6, 5.
  const std::vector<int32_t> expected{3, 5, 1, 6, 0, 6, 6, 5};
  bool found = false;
  Rng search(0);
  for (int attempt = 0; attempt < 2000 && !found; ++attempt) {
    const DecoderRow r = decoder_row(task->sample(ModelShape::decoder, 1, 8, search), 0);
    if (r.input[0] == 3 && r.input[1] == 5) {
      std::vector<int32_t> sequence(r.input);
      sequence.push_back(r.targets.back());
      REQUIRE(sequence == expected);
      found = true;
    }
  }
  REQUIRE(found);
}

TEST_CASE(
    "flip_flop: each read is scored on the last written bit, ignores come with probability p") {
  const auto task = make("flip_flop", {{"length", "20"}, {"ignore_probability", "0.5"}});
  REQUIRE(task->vocab_size() == 5);
  require_same_batches(*task, ModelShape::decoder, 20);
  constexpr int32_t write = 0, read = 1, ignore = 2, zero = 3, one = 4;
  Rng rng(9);
  const TaskBatch batch = task->sample(ModelShape::decoder, 200, 20, rng);
  REQUIRE(batch.target_input.length == 39);
  double instructions = 0, ignores = 0, reads = 0;
  for (int64_t b = 0; b < 200; ++b) {
    const DecoderRow r = decoder_row(batch, b);
    std::vector<int32_t> sequence(r.input);
    sequence.push_back(r.targets.back());
    REQUIRE(sequence[0] == write);  // the first instruction writes
    int32_t last_written = -1;
    for (int64_t k = 0; k < 20; ++k) {
      const int32_t instruction = sequence[2 * k], bit = sequence[2 * k + 1];
      // The last bit is in no input: the test sees it only where it is scored (a read).
      if (k + 1 < 20 || instruction == read) REQUIRE((bit == zero || bit == one));
      if (instruction == write) last_written = bit;
      if (instruction == read) REQUIRE(bit == last_written);
      // Position 2k reads the instruction and predicts its bit: scored exactly for reads.
      REQUIRE(r.targets[2 * k] == (instruction == read ? bit : kIgnoreTarget));
      if (k + 1 < 20) REQUIRE(r.targets[2 * k + 1] == kIgnoreTarget);  // instructions: not scored
      if (k > 0) {
        ++instructions;
        ignores += instruction == ignore;
        reads += instruction == read;
      }
    }
  }
  // 3800 instructions after the first: p = 0.5 ignores, 0.25 reads (binomial sd ~ 0.008, 0.007).
  REQUIRE(std::abs(ignores / instructions - 0.5) < 0.04);
  REQUIRE(std::abs(reads / instructions - 0.25) < 0.04);
  const auto sparse = make("flip_flop", {{"length", "20"}, {"ignore_probability", "1"}});
  const TaskBatch only_ignores = sparse->sample(ModelShape::decoder, 10, 20, rng);
  REQUIRE(std::all_of(only_ignores.targets.begin(), only_ignores.targets.end(),
                      [](int32_t t) { return t == kIgnoreTarget; }));  // nothing to read
}

TEST_CASE("variable_length: padded rows of drawn lengths, scored only on each row's answer") {
  for (const std::string operation : {"copy", "reverse", "sort"}) {
    INFO(operation);
    const auto task =
        make("variable_length",
             {{"operation", operation}, {"symbols", "6"}, {"length", "7"}, {"min_length", "3"}});
    REQUIRE(task->vocab_size() == 8);
    const int32_t separator = 6, pad = 7;
    require_same_batches(*task, ModelShape::encoder_decoder, 7);
    require_same_batches(*task, ModelShape::decoder, 7);
    Rng rng(5), same(5);
    const TaskBatch seq2seq = task->sample(ModelShape::encoder_decoder, 100, 7, rng);
    const TaskBatch lm = task->sample(ModelShape::decoder, 100, 7, same);
    REQUIRE(seq2seq.source.lengths.size() == 100);
    std::set<int32_t> lengths(seq2seq.source.lengths.begin(), seq2seq.source.lengths.end());
    REQUIRE(lengths == std::set<int32_t>{3, 4, 5, 6, 7});
    for (int64_t b = 0; b < 100; ++b) {
      const int64_t n = seq2seq.source.lengths[b];
      const std::vector<int32_t> source = row(seq2seq.source, b);
      std::vector<int32_t> x(source.begin(), source.begin() + n), y = x;
      REQUIRE(std::all_of(source.begin() + n, source.end(), [&](int32_t t) { return t == pad; }));
      if (operation == "reverse") std::reverse(y.begin(), y.end());
      if (operation == "sort") std::sort(y.begin(), y.end());
      const std::vector<int32_t> targets(seq2seq.targets.begin() + 7 * b,
                                         seq2seq.targets.begin() + 7 * b + 7);
      REQUIRE(std::vector<int32_t>(targets.begin(), targets.begin() + n) == y);
      REQUIRE(std::all_of(targets.begin() + n, targets.end(),
                          [](int32_t t) { return t == kIgnoreTarget; }));
      REQUIRE(row(seq2seq.target_input, b)[0] == separator);
      // The decoder form of the same draw: x SEP y, then padding, scored on y only.
      const DecoderRow r = decoder_row(lm, b);
      REQUIRE(std::vector<int32_t>(r.input.begin(), r.input.begin() + n) == x);
      REQUIRE(r.input[n] == separator);
      // Position n + i reads y_i (SEP for i = 0) and predicts y_{i+1}: scored exactly there.
      for (int64_t t = 0; t < 14; ++t)
        REQUIRE(r.targets[t] == (t >= n && t < 2 * n ? y[t - n] : kIgnoreTarget));
    }
  }
  REQUIRE_THROWS_WITH(make("variable_length", {{"length", "2"}, {"min_length", "3"}}),
                      Contains("below min_length 3"));
  REQUIRE_THROWS_WITH(make("variable_length", {{"operation", "shuffle"}}), Contains("shuffle"));
}

TEST_CASE("char_lm: windows of the chosen split, every next character scored") {
  const std::filesystem::path corpus =
      std::filesystem::temp_directory_path() / fmt::format("attnlab-corpus-{}.txt", ::getpid());
  // 170 characters of train text over "ab", 10 of validation text over "pq",
  // then 20 of held-out text over "xyz": at length 8 (windows of 9) the parts
  // have 162, 2 and 12 starts, so 2000 windows draw each part's last start.
  std::string text;
  for (int i = 0; i < 170; ++i) text += i % 3 == 0 ? 'b' : 'a';
  for (int i = 0; i < 10; ++i) text += "pq"[i % 2];
  for (int i = 0; i < 20; ++i) text += "xyz"[i % 3];
  std::ofstream(corpus) << text;
  const auto task = [&](const std::string& split) {
    return make("char_lm", {{"corpus", corpus.string()}, {"length", "8"}, {"split", split}});
  };
  const auto train = task("train"), heldout = task("heldout");
  REQUIRE(train->vocab_size() == 256);  // bytes: an id is the same character everywhere
  REQUIRE(heldout->vocab_size() == 256);
  require_same_batches(*train, ModelShape::decoder, 8);
  // The validation part is what validation evaluations read, whichever part
  // the task reads; no configuration can name it, to train or test on it.
  const auto validation = train->validation_task();
  const auto heldout_validation = heldout->validation_task();
  REQUIRE((validation != nullptr && heldout_validation != nullptr));
  REQUIRE(validation->vocab_size() == 256);
  REQUIRE(validation->length() == 8);
  REQUIRE_THROWS_WITH(task("validation"),
                      Contains("parameter 'split' must be one of train | heldout"));
  REQUIRE(make("copy")->validation_task() == nullptr);  // fresh examples need no part of their own
  Rng rng(1);
  for (const auto& [split, allowed] : {std::pair{train.get(), std::set<int32_t>{'a', 'b'}},
                                       {validation.get(), std::set<int32_t>{'p', 'q'}},
                                       {heldout_validation.get(), std::set<int32_t>{'p', 'q'}},
                                       {heldout.get(), std::set<int32_t>{'x', 'y', 'z'}}}) {
    const TaskBatch batch = split->sample(ModelShape::decoder, 2000, 8, rng);
    for (int64_t b = 0; b < 2000; ++b) {
      const DecoderRow r = decoder_row(batch, b);
      for (int64_t t = 0; t < 8; ++t) {
        REQUIRE(allowed.count(r.input[t]) == 1);
        REQUIRE(allowed.count(r.targets[t]) == 1);               // the ninth character too
        if (t + 1 < 8) REQUIRE(r.targets[t] == r.input[t + 1]);  // the next character
      }
    }
  }
  // Held-out windows are consecutive text: x y z repeating.
  const DecoderRow r = decoder_row(heldout->sample(ModelShape::decoder, 1, 8, rng), 0);
  for (int64_t t = 1; t < 8; ++t) REQUIRE(r.input[t] == 'x' + (r.input[t - 1] - 'x' + 1) % 3);
  REQUIRE_THROWS_WITH(
      make("char_lm", {{"corpus", corpus.string()}, {"length", "20"}, {"split", "heldout"}}),
      Contains(
          "the heldout part of the corpus has 20 characters, too few for sequences of 20 + 1"));
  REQUIRE_THROWS_WITH(  // the validation part, 10 characters, is checked whatever the split
      make("char_lm", {{"corpus", corpus.string()}, {"length", "12"}})->validation_task(),
      Contains("the validation part of the corpus has 10 characters"));
  std::filesystem::remove(corpus);
  REQUIRE_THROWS_WITH(make("char_lm", {{"corpus", corpus.string()}}), Contains("does not exist"));
  REQUIRE_THROWS_WITH(make("char_lm", {{"corpus", "/tmp"}}), Contains("is not a regular file"));
  REQUIRE_THROWS_WITH(make("char_lm", {{"corpus", "/dev/zero"}}),
                      Contains("is not a regular file"));
  REQUIRE_THROWS_WITH(make("char_lm", {{"corpus", "data/kjv.txt"}}),
                      Contains("expected an absolute path"));
  REQUIRE(make("char_lm")->vocab_size() > 26);  // the built-in corpus is there
}
