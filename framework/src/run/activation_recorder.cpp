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

// Where one chunk of examples goes in a streamed dataset.
struct ChunkPlace {
  int64_t first, examples, rows_per_write;
};

// A tensor the same for every example (a positional table): written once.
void write_once(Hdf5File& file, const std::string& dataset, const std::vector<std::string>& dims,
                const Tensor& value) {
  if (file.contains(dataset)) return;
  file.write_tensor(dataset, value);
  file.set_attribute(dataset, trial_paths::dimensions, dims);
}

void write_chunk(Hdf5File& file, const std::string& dataset, const std::vector<std::string>& dims,
                 const std::string& heads, const ChunkPlace& place, const Tensor& value) {
  if (!file.contains(dataset)) {
    Shape full = value.shape();
    full[0] = place.examples;
    file.create_streamed(dataset, full, place.rows_per_write);
    file.set_attribute(dataset, trial_paths::dimensions, dims);
    if (!heads.empty()) file.set_attribute(dataset, "heads", heads);  // in this order
  }
  file.write_rows(dataset, place.first, value);
}

// Queues every selected activation of one chunk of examples as it is reported.
class ChunkWriter final : public ActivationObserver {
 public:
  ChunkWriter(Hdf5File& file, BackgroundWriter& writer, const TrialSpec& spec, std::string group,
              ChunkPlace place)
      : file_(file), writer_(writer), spec_(spec), group_(std::move(group)), place_(place) {}

  void observe(const RecordedTensor& recorded, const Tensor& reported) override {
    if (!is_recorded(recorded, spec_.record.tensors, spec_.record.layers)) return;
    std::string dataset = hdf5_path(group_, recorded.name);
    std::vector<std::string> dims = names_of(recorded.dimensions);
    const bool per_example = !dims.empty() && dims.front() == dims::example;
    // Shared key/value heads (mqa, gqa) are kept whole: they serve several query heads.
    const bool selects_heads = per_example && !spec_.record.heads.empty() && dims.size() > 1 &&
                               (dims[1] == dims::head || (dims[1] == dims::kv_head &&
                                                          reported.size(1) == spec_.model.heads));
    // A copy: the writer reads it after the forward pass has moved on.
    Tensor value = selects_heads ? select_heads(reported, spec_.record.heads)
                                 : Tensor::from_values(reported.shape(), reported.values());
    std::string heads = selects_heads ? fmt::format("{}", fmt::join(spec_.record.heads, ",")) : "";
    const auto bytes = static_cast<std::size_t>(value.numel()) * sizeof(float);
    // The job outlives this observer (one forward pass): it holds copies only.
    writer_.submit(
        [&file = file_, place = place_, per_example, dataset = std::move(dataset),
         dims = std::move(dims), heads = std::move(heads), value = std::move(value)] {
          if (per_example)
            write_chunk(file, dataset, dims, heads, place, value);
          else
            write_once(file, dataset, dims, value);
        },
        bytes);
  }

 private:
  Hdf5File& file_;
  BackgroundWriter& writer_;
  const TrialSpec& spec_;
  std::string group_;
  ChunkPlace place_;
};

void write_tokens(Hdf5File& file, const std::string& dataset, const TokenBatch& tokens) {
  if (tokens.batch == 0) return;
  file.write_ints(dataset, tokens.ids, tokens.shape());
  file.set_attribute(
      dataset, trial_paths::dimensions,
      std::vector<std::string>{std::string(dims::example), std::string(dims::position)});
  if (!tokens.lengths.empty())
    file.write_ints(dataset + "_lengths", tokens.lengths, {tokens.batch});
}

}  // namespace

ActivationRecorder::ActivationRecorder(Hdf5File& file, const TrialSpec& spec, const Task& task)
    : file_(file),
      spec_(spec),
      writer_(static_cast<std::size_t>(RecordOptions::kMostBytesWaiting),
              &Hdf5File::prepare_thread) {
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
      input("targets"), trial_paths::dimensions,
      std::vector<std::string>{std::string(dims::example), std::string(dims::position)});
}

void ActivationRecorder::record(const TaskModel& model, int64_t step) {
  if (!enabled()) return;
  const std::string group = trial_paths::snapshot_group(step);
  writer_.submit(
      [&file = file_, group, step] {
        file.create_group(group);
        file.set_attribute(group, "step", step);
      },
      0);
  const int64_t total = spec_.record.examples;
  const int64_t chunk = std::max<int64_t>(1, std::min(total, spec_.train.batch));
  NoGradGuard no_grad;
  for (int64_t first = 0; first < total; first += chunk) {
    const int64_t count = std::min(chunk, total - first);
    ChunkWriter writer(file_, writer_, spec_, group, {first, total, chunk});
    model.forward(rows_of(examples_, total, first, count), {.observer = &writer});
  }
}

void ActivationRecorder::record_parameters(const TaskModel& model, int64_t step) {
  std::vector<std::pair<std::string, Tensor>> copies;
  std::size_t bytes = 0;
  for (const auto& [name, tensor] : model.module().named_parameters()) {
    copies.emplace_back(name, Tensor::from_values(tensor.shape(), tensor.values()));
    bytes += static_cast<std::size_t>(tensor.numel()) * sizeof(float);
  }
  writer_.submit(
      [&file = file_, step, copies = std::move(copies)] {
        const std::string group = trial_paths::parameter_snapshot_group(step);
        for (const auto& [name, tensor] : copies) file.write_tensor(hdf5_path(group, name), tensor);
        file.set_attribute(group, "step", step);
      },
      bytes);
}

void ActivationRecorder::abandon_after(const std::exception& training_error) {
  const std::exception_ptr write_failure = writer_.abandon();
  if (!write_failure) return;
  try {
    std::rethrow_exception(write_failure);
  } catch (const std::exception& write_error) {
    if (&write_error == &training_error) return;  // the same exception object
    throw Error(fmt::format("writing recorded activations failed: {} (and training stopped: {})",
                            write_error.what(), training_error.what()));
  }
}

}  // namespace attnlab
