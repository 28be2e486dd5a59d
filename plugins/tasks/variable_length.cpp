// variable_length: copy, reverse or sort a sequence whose length n is drawn per
// example from min_length .. length, so that a batch holds sequences of
// different lengths, right-padded (the first padding task):
//   encoder-decoder: source x (padded, its lengths given), decoder input
//                    SEP y_1 .. y_{n-1} PAD .., targets y then not scored
//   decoder:         x SEP y PAD .., scored on the y's
// Where output i comes from depends on n for reversal (x[n - 1 - i]) and on the
// content for sorting, so no fixed position-to-position map works: the answer
// must be found through attention over the source. Tokens: content 0 ..
// symbols - 1, SEP = symbols, PAD = symbols + 1.
#include <fmt/format.h>

#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class VariableLengthTask final : public Task {
 public:
  VariableLengthTask(std::string operation, int64_t symbols, int64_t length, int64_t min_length)
      : operation_(std::move(operation)),
        symbols_(symbols),
        length_(length),
        min_length_(min_length) {
    check_length(length_);
  }
  int64_t vocab_size() const override { return symbols_ + 2; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape shape, int64_t length) const override {
    return shape == ModelShape::decoder ? 2 * length : length;
  }
  int32_t separator() const { return static_cast<int32_t>(symbols_); }
  int32_t pad() const { return static_cast<int32_t>(symbols_ + 1); }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape == ModelShape::encoder)
      throw ConfigError("task 'variable_length' is posed to an encoder-decoder or a decoder");
    check_length(length);
    if (batch < 1)
      throw ConfigError(fmt::format("task 'variable_length': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, sequence_length(shape, length), {}, {}};
    if (shape == ModelShape::encoder_decoder) out.source = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t n = min_length_ + static_cast<int64_t>(
                                          rng() % static_cast<uint64_t>(length - min_length_ + 1));
      std::vector<int32_t> x(static_cast<std::size_t>(n));
      for (int32_t& token : x) token = uniform_token(rng, symbols_);
      const std::vector<int32_t> y = answer(x);
      if (shape == ModelShape::decoder) {
        std::vector<int32_t> sequence(x);
        sequence.push_back(separator());
        sequence.insert(sequence.end(), y.begin(), y.end());
        std::vector<bool> scored(sequence.size(), false);
        std::fill(scored.end() - n, scored.end(), true);
        sequence.resize(static_cast<std::size_t>(2 * length + 1), pad());
        scored.resize(sequence.size(), false);
        append_next_token_row(out, sequence, scored);
        continue;
      }
      out.source.ids.insert(out.source.ids.end(), x.begin(), x.end());
      out.source.ids.insert(out.source.ids.end(), static_cast<std::size_t>(length - n), pad());
      out.source.lengths.push_back(static_cast<int32_t>(n));
      out.target_input.ids.push_back(separator());
      out.target_input.ids.insert(out.target_input.ids.end(), y.begin(), y.end() - 1);
      out.target_input.ids.insert(out.target_input.ids.end(), static_cast<std::size_t>(length - n),
                                  pad());
      out.targets.insert(out.targets.end(), y.begin(), y.end());
      out.targets.insert(out.targets.end(), static_cast<std::size_t>(length - n), kIgnoreTarget);
    }
    return out;
  }

 private:
  std::vector<int32_t> answer(std::vector<int32_t> x) const {
    if (operation_ == "reverse") std::reverse(x.begin(), x.end());
    if (operation_ == "sort") std::sort(x.begin(), x.end());
    return x;  // copy
  }
  void check_length(int64_t length) const {
    if (length < min_length_)
      throw ConfigError(fmt::format(
          "task 'variable_length': length {} is below min_length {}; length is the longest "
          "sequence",
          length, min_length_));
  }

  std::string operation_;
  int64_t symbols_, length_, min_length_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "variable_length",
      .description = "copy, reverse or sort a sequence of n tokens, n drawn per example (padded "
                     "batches; encoder-decoder or decoder)",
      .parameters = {{"operation", ParameterType::text, "reverse", "what to do to the sequence",
                      one_of({"copy", "reverse", "sort"})},
                     {"symbols", ParameterType::integer, "8",
                      "content vocabulary (SEP and PAD are two more tokens)", at_least(1)},
                     {"length", ParameterType::integer, "8", "longest sequence", at_least(1)},
                     {"min_length", ParameterType::integer, "1", "shortest sequence", at_least(1)}},
      .capabilities = {.decoder = true, .encoder_decoder = true, .pads = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<VariableLengthTask>(p.text("operation"), p.integer("symbols"),
                                                    p.integer("length"), p.integer("min_length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
