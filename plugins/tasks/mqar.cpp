// mqar: multi-query associative recall (Zoology, Arora et al. 2023). Keys come
// from the first half of the vocabulary and values from the second, so a token
// says by itself which role it plays. A sequence is n key-value pairs
// k_1 v_1 .. k_n v_n with distinct keys, then n queries: the keys again in a
// random order, each followed by its value, which is what is scored. Recalling
// a value means finding the earlier occurrence of the query key and reading the
// token after it; a model that compresses the context into a fixed state (or
// a head that averages) must keep all n associations at once.
#include <fmt/format.h>

#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <numeric>

namespace attnlab {
namespace {

class MqarTask final : public Task {
 public:
  MqarTask(int64_t symbols, int64_t pairs) : symbols_(symbols), pairs_(pairs) {
    if (symbols_ % 2 != 0)
      throw ConfigError(fmt::format(
          "task 'mqar': symbols must be even (keys and values are its two halves), got {}",
          symbols_));
    check_pairs(pairs_);
  }
  int64_t vocab_size() const override { return symbols_; }
  int64_t length() const override { return pairs_; }
  int64_t sequence_length(ModelShape, int64_t pairs) const override { return 4 * pairs - 1; }
  int64_t keys() const { return symbols_ / 2; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t pairs, Rng& rng) const override {
    if (shape != ModelShape::decoder)
      throw ConfigError("task 'mqar' is posed to a decoder (next-token prediction)");
    check_pairs(pairs);
    if (batch < 1) throw ConfigError(fmt::format("task 'mqar': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, 4 * pairs - 1, {}, {}};
    std::vector<int32_t> key_order(static_cast<std::size_t>(keys()));
    std::iota(key_order.begin(), key_order.end(), 0);
    for (int64_t b = 0; b < batch; ++b) {
      shuffle_prefix(key_order, pairs, rng);
      std::vector<int32_t> value_of(static_cast<std::size_t>(keys()), -1);
      std::vector<int32_t> sequence;
      std::vector<bool> scored;
      for (int64_t i = 0; i < pairs; ++i) {
        const int32_t key = key_order[i], value = uniform_token(rng, keys(), keys());
        value_of[key] = value;
        sequence.insert(sequence.end(), {key, value});
        scored.insert(scored.end(), {false, false});
      }
      std::vector<int32_t> queries(key_order.begin(), key_order.begin() + pairs);
      shuffle_prefix(queries, pairs, rng);  // a random order of the same keys
      for (const int32_t key : queries) {
        sequence.insert(sequence.end(), {key, value_of[key]});
        scored.insert(scored.end(), {false, true});
      }
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }

 private:
  void check_pairs(int64_t pairs) const {
    if (pairs < 1 || pairs > keys())
      throw ConfigError(fmt::format(
          "task 'mqar': pairs must be in [1, symbols / 2] = [1, {}] (keys are distinct), got {}",
          keys(), pairs));
  }

  int64_t symbols_, pairs_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "mqar",
      .description = "multi-query associative recall: n key-value pairs, then every key again, "
                     "scored on its value (decoder)",
      .parameters = {{"symbols", ParameterType::integer, "32",
                      "vocabulary: keys are its first half, values its second (even)", at_least(2)},
                     {"length", ParameterType::integer, "8", "key-value pairs n", at_least(1)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<MqarTask>(p.integer("symbols"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
