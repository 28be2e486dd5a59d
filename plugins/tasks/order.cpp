// order: does marker A come before marker B? A sequence of n tokens holds A and
// B once each among random fillers; the label (one per sequence) is 1 if A is
// first. Swapping A and B turns every sequence into one with the same tokens and
// the other label, each as likely, so a model that sees only the multiset of
// its input (an encoder without positional information: "I love NLP" and "NLP
// love I" look the same) is at chance exactly, 50%.
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class OrderTask final : public Task {
 public:
  OrderTask(int64_t fillers, int64_t length) : fillers_(fillers), length_(length) {}
  int64_t vocab_size() const override { return fillers_ + 2; }
  int64_t num_classes() const override { return 2; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::encoder)
      throw ConfigError("task 'order': labels whole sequences, so it is posed to an encoder");
    if (batch < 1 || length < 2)
      throw ConfigError(fmt::format(
          "task 'order': batch >= 1 and length >= 2 (two markers), got {} and {}", batch, length));
    const auto marker_a = static_cast<int32_t>(fillers_), marker_b = marker_a + 1;
    TaskBatch out;
    out.source = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> tokens(static_cast<std::size_t>(length));
      for (int32_t& token : tokens)
        token = static_cast<int32_t>(rng() % static_cast<uint64_t>(fillers_));
      // Two distinct positions, uniformly; which marker goes first is a fair coin.
      const auto first = static_cast<int64_t>(rng() % static_cast<uint64_t>(length));
      auto second = static_cast<int64_t>(rng() % static_cast<uint64_t>(length - 1));
      if (second >= first) ++second;
      const bool a_first = (rng() & 1u) != 0;
      tokens[std::min(first, second)] = a_first ? marker_a : marker_b;
      tokens[std::max(first, second)] = a_first ? marker_b : marker_a;
      out.source.ids.insert(out.source.ids.end(), tokens.begin(), tokens.end());
      out.targets.push_back(a_first ? 1 : 0);
    }
    return out;
  }

 private:
  int64_t fillers_, length_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "order",
      .description = "label a sequence 1 if marker A comes before marker B (encoder; chance "
                     "exactly without positions)",
      .parameters = {{"fillers", ParameterType::integer, "8",
                      "filler vocabulary (the markers A and B are two more tokens)", at_least(1)},
                     {"length", ParameterType::integer, "8", "tokens per sequence n", at_least(2)}},
      .capabilities = {.encoder = true, .sequence_labels = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<OrderTask>(p.integer("fillers"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
