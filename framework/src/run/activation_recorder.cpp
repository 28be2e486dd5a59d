#include "activation_recorder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "../experiment/trial_check.hpp"
#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/task/task.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

std::vector<std::string> names_of(DimensionNames dimensions) {
  return {dimensions.begin(), dimensions.end()};
}

// The selected heads (dimension 1) of a [B, h, ...] tensor.
Tensor select_heads(const Tensor& value, const std::vector<int64_t>& heads) {
  std::vector<Tensor> parts;
  for (const int64_t head : heads) parts.push_back(ops::slice(value, 1, head, 1));
  return ops::concat(parts, 1);
}

// Writes every selected activation of one chunk of examples as it is reported.
class ChunkWriter final : public ActivationObserver {
 public:
  ChunkWriter(Hdf5File& file, const TrialSpec& spec, std::string group, int64_t first,
              int64_t examples, int64_t rows_per_write)
      : file_(file),
        spec_(spec),
        group_(std::move(group)),
        first_(first),
        examples_(examples),
        rows_per_write_(rows_per_write) {}

  void observe(const RecordedTensor& recorded, const Tensor& reported) override {
    if (!is_recorded(recorded, spec_.record.tensors, spec_.record.layers)) return;
    const std::string dataset = hdf5_path(group_, recorded.name);
    const std::vector<std::string> dims = names_of(recorded.dimensions);
    if (dims.empty() || dims.front() != dims::example) {  // the same for every example: once
      if (!file_.contains(dataset)) {
        file_.write_tensor(dataset, reported);
        file_.set_attribute(dataset, "dims", dims);
      }
      return;
    }
    Tensor value = reported;
    // Shared key/value heads (mqa, gqa) are kept whole: they serve several query heads.
    const bool selects_heads =
        !spec_.record.heads.empty() && dims.size() > 1 &&
        (dims[1] == dims::head || (dims[1] == dims::kv_head && value.size(1) == spec_.model.heads));
    if (selects_heads) value = select_heads(value, spec_.record.heads);
    if (!file_.contains(dataset)) {
      Shape full = value.shape();
      full[0] = examples_;
      file_.create_streamed(dataset, full, rows_per_write_);
      file_.set_attribute(dataset, "dims", dims);
      if (selects_heads)  // the head axis holds these heads, in this order
        file_.set_attribute(dataset, "heads",
                            fmt::format("{}", fmt::join(spec_.record.heads, ",")));
    }
    file_.write_rows(dataset, first_, value);
  }

 private:
  Hdf5File& file_;
  const TrialSpec& spec_;
  std::string group_;
  int64_t first_, examples_, rows_per_write_;
};

void write_tokens(Hdf5File& file, const std::string& dataset, const TokenBatch& tokens) {
  if (tokens.batch == 0) return;
  file.write_ints(dataset, tokens.ids, tokens.shape());
  file.set_attribute(
      dataset, "dims",
      std::vector<std::string>{std::string(dims::example), std::string(dims::position)});
  if (!tokens.lengths.empty())
    file.write_ints(dataset + "_lengths", tokens.lengths, {tokens.batch});
}

}  // namespace

ActivationRecorder::ActivationRecorder(Hdf5File& file, const TrialSpec& spec, const Task& task)
    : file_(file), spec_(spec) {
  if (!enabled()) return;
  examples_ = recorded_examples(spec, task);
  const auto input = [](const char* name) {
    return fmt::format("{}/{}", trial_paths::inputs, name);
  };
  write_tokens(file_, input("source"), examples_.source);
  write_tokens(file_, input("target_input"), examples_.target_input);
  const auto per_example = static_cast<int64_t>(examples_.targets.size()) / spec.record.examples;
  file_.write_ints(input("targets"), examples_.targets, {spec.record.examples, per_example});
  file_.set_attribute(
      trial_paths::inputs, "tokens",
      std::string(Task::token_kind(task_registry().find(spec.task.name).capabilities)));
  file_.set_attribute(
      input("targets"), "dims",
      std::vector<std::string>{std::string(dims::example), std::string(dims::position)});
}

void ActivationRecorder::record(const TaskModel& model, int64_t step) {
  if (!enabled()) return;
  const std::string group = trial_paths::snapshot_group(step);
  file_.create_group(group);
  file_.set_attribute(group, "step", step);
  const int64_t total = spec_.record.examples;
  const int64_t chunk = std::max<int64_t>(1, std::min(total, spec_.train.batch));
  NoGradGuard no_grad;
  for (int64_t first = 0; first < total; first += chunk) {
    const int64_t count = std::min(chunk, total - first);
    ChunkWriter writer(file_, spec_, group, first, total, chunk);
    model.forward(rows_of(examples_, total, first, count), {.observer = &writer});
  }
}

}  // namespace attnlab
