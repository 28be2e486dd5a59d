// induction: [BOS] f_1 .. f_m r_1 .. r_n r_1 .. r_n: random filler, then a
// repeat of length n drawn per sequence from min_repeat .. length (m = 2 (length
// - n), so every row has 2 length + 1 tokens). Scored on r_2 .. r_n of
// the second copy: each is the token that followed the current one the first
// time, which an induction head (a previous-token head feeding a head that
// attends to "the token after my last occurrence") finds and one layer of
// attention cannot compose (Elhage et al. 2021; Olsson et al. 2022). r_1 of the
// second copy is not scored: nothing before it says the repeat starts there.
// The tokens of one repeat are distinct and the filler is drawn from the other
// symbols, so "what followed me" has one answer in the whole sequence.
#include <fmt/format.h>

#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <numeric>

namespace attnlab {
namespace {

class InductionTask final : public Task {
 public:
  InductionTask(int64_t symbols, int64_t length, int64_t min_repeat)
      : symbols_(symbols), length_(length), min_repeat_(min_repeat) {
    check_length(length_);
  }
  int64_t vocab_size() const override { return symbols_ + 1; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return 2 * length; }
  int32_t bos() const { return static_cast<int32_t>(symbols_); }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::decoder)
      throw ConfigError("task 'induction' is posed to a decoder (next-token prediction)");
    check_length(length);
    if (batch < 1) throw ConfigError(fmt::format("task 'induction': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, 2 * length, {}, {}};
    std::vector<int32_t> alphabet(static_cast<std::size_t>(symbols_));
    std::iota(alphabet.begin(), alphabet.end(), 0);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t n = min_repeat_ + static_cast<int64_t>(
                                          rng() % static_cast<uint64_t>(length - min_repeat_ + 1));
      // The first n of a seeded shuffle: n distinct tokens.
      for (int64_t i = 0; i < n; ++i)
        std::swap(alphabet[i],
                  alphabet[i + static_cast<int64_t>(rng() % static_cast<uint64_t>(symbols_ - i))]);
      // Random filler first, so where the repeat starts varies and its first copy hides
      // among other tokens; every row is 2 * length + 1 tokens.
      std::vector<int32_t> sequence{bos()};
      std::vector<bool> scored{false};
      for (int64_t i = 0; i < 2 * (length - n); ++i) {  // from alphabet[n ..]: not in the repeat
        sequence.push_back(
            alphabet[n + static_cast<int64_t>(rng() % static_cast<uint64_t>(symbols_ - n))]);
        scored.push_back(false);
      }
      for (int copy = 0; copy < 2; ++copy)
        for (int64_t i = 0; i < n; ++i) {
          sequence.push_back(alphabet[i]);
          scored.push_back(copy == 1 && i > 0);
        }
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }

 private:
  void check_length(int64_t length) const {
    if (length < min_repeat_ || length >= symbols_)
      throw ConfigError(fmt::format(
          "task 'induction': length (the longest repeat) must be in [min_repeat, symbols - 1] = "
          "[{}, {}] (a repeat's tokens are distinct, and the filler needs another), got {}",
          min_repeat_, symbols_ - 1, length));
  }

  int64_t symbols_, length_, min_repeat_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "induction",
      .description = "[BOS] filler r1..rn r1..rn with n drawn per sequence; scored on the "
                     "second copy (decoder): induction heads",
      .parameters = {{"symbols", ParameterType::integer, "16",
                      "content vocabulary (BOS is one more token)", at_least(2)},
                     {"length", ParameterType::integer, "8", "longest repeat n", at_least(2)},
                     {"min_repeat", ParameterType::integer, "2", "shortest repeat n", at_least(2)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<InductionTask>(p.integer("symbols"), p.integer("length"),
                                               p.integer("min_repeat"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
