// fib_mod: x_1, x_2 random, then x_t = (x_{t-1} + x_{t-2}) mod m. Every token
// after the first two is determined, so a decoder can be scored free-running
// (eval.generation_batches): given the two seeds it must generate the rest from
// its own outputs, and one early mistake changes every later token.
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class FibModTask final : public Task {
 public:
  FibModTask(int64_t modulus, int64_t length) : modulus_(modulus), length_(length) {
    check_length(length_);
  }
  int64_t vocab_size() const override { return modulus_; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length - 1; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::decoder)
      throw ConfigError("task 'fib_mod' is posed to a decoder (next-token prediction)");
    check_length(length);
    if (batch < 1) throw ConfigError(fmt::format("task 'fib_mod': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, length - 1, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> sequence{uniform_token(rng, modulus_), uniform_token(rng, modulus_)};
      while (static_cast<int64_t>(sequence.size()) < length)
        sequence.push_back(static_cast<int32_t>(
            (sequence[sequence.size() - 1] + sequence[sequence.size() - 2]) % modulus_));
      std::vector<bool> scored(sequence.size(), true);
      scored[0] = scored[1] = false;  // the two seeds are random
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }

 private:
  static void check_length(int64_t length) {
    if (length < 3)
      throw ConfigError(fmt::format(
          "task 'fib_mod': length {} has nothing after the two seeds; use length >= 3", length));
  }

  int64_t modulus_, length_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "fib_mod",
      .description = "x_t = (x_{t-1} + x_{t-2}) mod m from two random seeds (decoder; for "
                     "free-running generation)",
      .parameters = {{"modulus", ParameterType::integer, "10", "m, also the vocabulary",
                      at_least(2)},
                     {"length", ParameterType::integer, "16", "tokens per sequence, seeds included",
                      at_least(3)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<FibModTask>(p.integer("modulus"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
