#include "attnlab/train/sequence_task.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"

namespace attnlab {

LanguageModelBatch SequenceTask::sample(int64_t batch, Rng& rng) const {
  if (symbols < 1 || length < 1 || batch < 1)
    throw ConfigError(
        fmt::format("sequence task needs symbols, length and batch >= 1, got {}, {}, {}", symbols,
                    length, batch));
  const int64_t n = length, width = 2 * n;
  LanguageModelBatch out{TokenBatch{batch, width, {}, {}}, {}};
  out.inputs.ids.reserve(static_cast<std::size_t>(batch * width));
  out.targets.reserve(static_cast<std::size_t>(batch * width));
  std::vector<int32_t> x(static_cast<std::size_t>(n));
  for (int64_t b = 0; b < batch; ++b) {
    for (auto& token : x) token = static_cast<int32_t>(rng() % static_cast<uint64_t>(symbols));
    std::vector<int32_t> sequence(x);  // x_1 .. x_n SEP y_1 .. y_n
    sequence.push_back(separator());
    if (kind == SequenceTaskKind::copy)
      sequence.insert(sequence.end(), x.begin(), x.end());
    else
      sequence.insert(sequence.end(), x.rbegin(), x.rend());
    // Position p reads sequence[p] and predicts sequence[p + 1]; only the y's count.
    for (int64_t p = 0; p < width; ++p) {
      out.inputs.ids.push_back(sequence[p]);
      out.targets.push_back(p + 1 > n ? sequence[p + 1] : kIgnore);
    }
  }
  return out;
}

SequenceTaskKind parse_sequence_task(const std::string& name) {
  if (name == "copy") return SequenceTaskKind::copy;
  if (name == "reverse") return SequenceTaskKind::reverse;
  throw ConfigError(fmt::format("unknown task '{}': expected 'copy' or 'reverse'", name));
}

std::string to_string(SequenceTaskKind kind) {
  return kind == SequenceTaskKind::copy ? "copy" : "reverse";
}

}  // namespace attnlab
