#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

void append_next_token_row(TaskBatch& batch, const std::vector<int32_t>& sequence,
                           const std::vector<bool>& scored) {
  const auto width = static_cast<int64_t>(sequence.size()) - 1;
  if (width != batch.target_input.length || scored.size() != sequence.size())
    throw Error(fmt::format(
        "append_next_token_row: a sequence of {} tokens with {} scored flags for rows of {}",
        sequence.size(), scored.size(), batch.target_input.length));
  for (int64_t p = 0; p < width; ++p) {
    batch.target_input.ids.push_back(sequence[p]);
    batch.targets.push_back(scored[p + 1] ? sequence[p + 1] : kIgnoreTarget);
  }
}

}  // namespace attnlab
