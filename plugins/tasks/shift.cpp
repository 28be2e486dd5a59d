// shift: at every position t of a random sequence, name the token k places
// back, x[t - k] (positions t < k are not scored). The answer depends only on
// relative position, never on content, so it isolates what a positional
// encoding gives a decoder; trained at length L and evaluated at 2L and 4L
// (eval.lengths) it measures length extrapolation: a learned table has never
// trained positions past L, while relative schemes (ALiBi, T5 bias, RoPE) see
// the same distance k everywhere (Press et al. 2021). Posed to a decoder, whose
// causal mask lets position t see x[t - k]; the targets are not the next token,
// so free-running generation does not apply (leave eval.generation_batches 0).
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class ShiftTask final : public Task {
 public:
  ShiftTask(int64_t symbols, int64_t length, int64_t distance)
      : symbols_(symbols), length_(length), distance_(distance) {
    check_length(length_);
  }
  int64_t vocab_size() const override { return symbols_; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::decoder) throw ConfigError("task 'shift' is posed to a decoder");
    check_length(length);
    if (batch < 1) throw ConfigError(fmt::format("task 'shift': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      const std::size_t start = out.target_input.ids.size();
      for (int64_t t = 0; t < length; ++t)
        out.target_input.ids.push_back(uniform_token(rng, symbols_));
      const int32_t* x = out.target_input.ids.data() + start;
      for (int64_t t = 0; t < length; ++t)
        out.targets.push_back(t < distance_ ? kIgnoreTarget : x[t - distance_]);
    }
    return out;
  }

 private:
  void check_length(int64_t length) const {
    if (length <= distance_)
      throw ConfigError(fmt::format(
          "task 'shift': length {} leaves no position {} places from the start; use length > {}",
          length, distance_, distance_));
  }

  int64_t symbols_, length_, distance_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "shift",
      .description = "name the token k places back at every position (decoder): a purely "
                     "positional relation, for length extrapolation",
      .parameters = {{"symbols", ParameterType::integer, "8", "vocabulary", at_least(2)},
                     {"length", ParameterType::integer, "16", "tokens per sequence L", at_least(2)},
                     {"distance", ParameterType::integer, "3", "how far back k", at_least(1)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<ShiftTask>(p.integer("symbols"), p.integer("length"),
                                           p.integer("distance"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
