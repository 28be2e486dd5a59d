// flip_flop: flip-flop language modelling, FFL(p) (Liu et al. 2023, "Exposing
// Attention Glitches with Flip-Flop Language Modeling"). A sequence is n
// instruction-bit pairs: `w b` writes bit b, `i b` is to be ignored, `r b`
// reads, and its b must be the last written bit. The first instruction is a
// write; after it each is i with probability p (`ignore_probability`) and w or
// r with (1 - p) / 2 each; written and ignored bits are fair coins. Scored only
// on the bits after `r` (the deterministic tokens, as the paper evaluates):
// answering means finding the latest write however far back, past any number
// of ignores. The paper trains on FFL(0.8) and finds attention models that fit
// it still err on rare sparse (p = 0.98) or dense (p = 0.1) sequences;
// evaluate those with eval.settings: [{ignore_probability: 0.98}, ...].
// Tokens: w = 0, r = 1, i = 2, bit 0 = 3, bit 1 = 4.
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

constexpr int32_t kWrite = 0, kRead = 1, kIgnore = 2, kZero = 3;

class FlipFlopTask final : public Task {
 public:
  FlipFlopTask(int64_t pairs, double ignore_probability)
      : pairs_(pairs), ignore_probability_(ignore_probability) {
    check_pairs(pairs_);
  }
  int64_t vocab_size() const override { return 5; }
  int64_t length() const override { return pairs_; }
  int64_t sequence_length(ModelShape, int64_t pairs) const override { return 2 * pairs - 1; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t pairs, Rng& rng) const override {
    if (shape != ModelShape::decoder)
      throw ConfigError("task 'flip_flop' is posed to a decoder (next-token prediction)");
    check_pairs(pairs);
    if (batch < 1) throw ConfigError(fmt::format("task 'flip_flop': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, 2 * pairs - 1, {}, {}};
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> sequence;
      std::vector<bool> scored;
      int32_t written = kZero;
      for (int64_t k = 0; k < pairs; ++k) {
        int32_t instruction = kWrite;
        if (k > 0) {
          const double u = unit(rng);
          instruction = u < ignore_probability_                                   ? kIgnore
                        : u < ignore_probability_ + (1 - ignore_probability_) / 2 ? kWrite
                                                                                  : kRead;
        }
        const int32_t bit = instruction == kRead ? written : kZero + uniform_token(rng, 2);
        if (instruction == kWrite) written = bit;
        sequence.insert(sequence.end(), {instruction, bit});
        scored.insert(scored.end(), {false, instruction == kRead});
      }
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }

 private:
  static void check_pairs(int64_t pairs) {
    if (pairs < 1)
      throw ConfigError(
          fmt::format("task 'flip_flop': length (pairs) must be >= 1, got {}", pairs));
  }

  int64_t pairs_;
  double ignore_probability_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "flip_flop",
      .description = "flip-flop language modelling FFL(p): write/ignore/read a bit, scored on "
                     "each read (decoder)",
      .parameters = {{"length", ParameterType::integer, "32", "instruction-bit pairs n",
                      at_least(1)},
                     {"ignore_probability", ParameterType::number, "0.8",
                      "p: the chance each instruction after the first is an ignore",
                      in_range(0, 1)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<FlipFlopTask>(p.integer("length"), p.number("ignore_probability"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
