// selective_copy: copy only the content tokens, in order, leaving out the noise
// (the MAD suite's selective copying, Poli et al. 2024). The input holds
// `copies` content tokens at random positions among `length` places, the rest
// NOISE; the answer is the content tokens in the order they came. Unlike plain
// copying, where the output at step i reads input position i, where the i-th
// content token sits depends on the input: the model must select by content.
//   decoder:         x_1 .. x_L SEP y_1 .. y_c, scored on the y's
//   encoder-decoder: source x, decoder input SEP y_1 .. y_{c-1}, targets y
// Content tokens are 0 .. symbols-1, NOISE is `symbols`, SEP is symbols + 1.
#include <fmt/format.h>

#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class SelectiveCopyTask final : public Task {
 public:
  SelectiveCopyTask(int64_t symbols, int64_t length, int64_t copies)
      : symbols_(symbols), length_(length), copies_(copies) {
    check_length(length_);
  }
  int64_t vocab_size() const override { return symbols_ + 2; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape shape, int64_t length) const override {
    return shape == ModelShape::decoder ? length + copies_ : std::max(length, copies_);
  }
  int32_t noise() const { return static_cast<int32_t>(symbols_); }
  int32_t separator() const { return static_cast<int32_t>(symbols_ + 1); }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape == ModelShape::encoder)
      throw ConfigError(
          "task 'selective_copy' is posed to a decoder or an encoder-decoder (the answer is "
          "shorter than the input)");
    check_length(length);
    if (batch < 1)
      throw ConfigError(fmt::format("task 'selective_copy': batch >= 1, got {}", batch));
    TaskBatch out;
    if (shape == ModelShape::decoder) {
      out.target_input = TokenBatch{batch, length + copies_, {}, {}};
    } else {
      out.source = TokenBatch{batch, length, {}, {}};
      out.target_input = TokenBatch{batch, copies_, {}, {}};
    }
    for (int64_t b = 0; b < batch; ++b) {
      const std::vector<int32_t> x = noisy_input(length, rng);
      std::vector<int32_t> y;
      std::copy_if(x.begin(), x.end(), std::back_inserter(y),
                   [&](int32_t token) { return token != noise(); });
      if (shape == ModelShape::decoder) {
        std::vector<int32_t> sequence(x);
        sequence.push_back(separator());
        sequence.insert(sequence.end(), y.begin(), y.end());
        std::vector<bool> scored(sequence.size(), false);
        std::fill(scored.end() - copies_, scored.end(), true);
        append_next_token_row(out, sequence, scored);
      } else {
        out.source.ids.insert(out.source.ids.end(), x.begin(), x.end());
        out.target_input.ids.push_back(separator());
        out.target_input.ids.insert(out.target_input.ids.end(), y.begin(), y.end() - 1);
        out.targets.insert(out.targets.end(), y.begin(), y.end());
      }
    }
    return out;
  }

 private:
  // `copies_` content tokens at distinct random places among `length`, NOISE elsewhere.
  std::vector<int32_t> noisy_input(int64_t length, Rng& rng) const {
    std::vector<int32_t> x(static_cast<std::size_t>(length), noise());
    std::vector<int64_t> places(static_cast<std::size_t>(length));
    for (int64_t i = 0; i < length; ++i) places[i] = i;
    shuffle_prefix(places, copies_, rng);
    for (int64_t i = 0; i < copies_; ++i) x[places[i]] = uniform_token(rng, symbols_);
    return x;
  }
  void check_length(int64_t length) const {
    if (length < copies_)
      throw ConfigError(fmt::format(
          "task 'selective_copy': length {} has no room for {} content tokens; use length >= {}",
          length, copies_, copies_));
  }

  int64_t symbols_, length_, copies_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "selective_copy",
      .description = "copy the content tokens scattered among noise, in order (decoder or "
                     "encoder-decoder)",
      .parameters = {{"symbols", ParameterType::integer, "8",
                      "content vocabulary (NOISE and SEP are two more tokens)", at_least(1)},
                     {"length", ParameterType::integer, "16", "input places L", at_least(1)},
                     {"copies", ParameterType::integer, "4", "content tokens among them",
                      at_least(1)}},
      .capabilities = {.decoder = true, .encoder_decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<SelectiveCopyTask>(p.integer("symbols"), p.integer("length"),
                                                   p.integer("copies"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
