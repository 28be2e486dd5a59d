#include "attnlab/task/task.hpp"

namespace attnlab {

TaskBatch rows_of(const TaskBatch& batch, int64_t examples, int64_t first, int64_t count) {
  const auto per_example = static_cast<int64_t>(batch.targets.size()) / examples;
  TaskBatch part{
      rows_of(batch.source, first, count), rows_of(batch.target_input, first, count), {}};
  part.targets.assign(batch.targets.begin() + first * per_example,
                      batch.targets.begin() + (first + count) * per_example);
  return part;
}

}  // namespace attnlab
