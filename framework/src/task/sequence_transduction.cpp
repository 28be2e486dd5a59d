#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

std::vector<ParameterSpec> sequence_transduction_parameters() {
  return {{"symbols", ParameterType::integer, "8",
           "content vocabulary (the separator is one more token)", at_least(1)},
          {"length", ParameterType::integer, "6", "tokens per input sequence n", at_least(1)}};
}

SequenceTransductionTask::SequenceTransductionTask(int64_t symbols, int64_t length)
    : symbols_(symbols), length_(length) {
  if (symbols < 1 || length < 1)
    throw ConfigError(
        fmt::format("task: symbols and length must be >= 1, got {} and {}", symbols, length));
}

int64_t SequenceTransductionTask::sequence_length(ModelShape shape, int64_t length) const {
  return shape == ModelShape::decoder ? 2 * length : length;
}

TaskBatch SequenceTransductionTask::sample(ModelShape shape, int64_t batch, int64_t length,
                                           Rng& rng) const {
  if (batch < 1 || length < 1)
    throw ConfigError(
        fmt::format("task: batch and length must be >= 1, got {} and {}", batch, length));
  const int64_t width = sequence_length(shape, length);
  TaskBatch out;
  TokenBatch& model_input = shape == ModelShape::encoder ? out.source : out.target_input;
  model_input = TokenBatch{batch, width, {}, {}};
  if (shape == ModelShape::encoder_decoder) out.source = TokenBatch{batch, length, {}, {}};
  std::vector<int32_t> x(static_cast<std::size_t>(length));
  for (int64_t b = 0; b < batch; ++b) {
    for (auto& token : x) token = static_cast<int32_t>(rng() % static_cast<uint64_t>(symbols_));
    const std::vector<int32_t> y = answer(x);
    switch (shape) {
      case ModelShape::encoder:
        model_input.ids.insert(model_input.ids.end(), x.begin(), x.end());
        out.targets.insert(out.targets.end(), y.begin(), y.end());
        break;
      case ModelShape::encoder_decoder:
        out.source.ids.insert(out.source.ids.end(), x.begin(), x.end());
        model_input.ids.push_back(separator());  // the start token
        model_input.ids.insert(model_input.ids.end(), y.begin(), y.end() - 1);
        out.targets.insert(out.targets.end(), y.begin(), y.end());
        break;
      case ModelShape::decoder: {
        // Position p reads sequence[p] and predicts sequence[p + 1]; only the y's count.
        std::vector<int32_t> sequence(x);
        sequence.push_back(separator());
        sequence.insert(sequence.end(), y.begin(), y.end());
        for (int64_t p = 0; p < width; ++p) {
          model_input.ids.push_back(sequence[p]);
          out.targets.push_back(p + 1 > length ? sequence[p + 1] : kIgnoreTarget);
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace attnlab
