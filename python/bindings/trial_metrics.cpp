// trial.metrics(): a trial file's curves (docs/hdf5-layout.md, metrics/) as
// NumPy arrays, one table per kind so that every column has one length:
//   "train"  one row per step: step and every dataset of metrics/train
//   "eval"   one row per evaluation: step, then every evaluated metric under
//            its final figure's name (run/figures.hpp), so that the last value
//            of column eval_accuracy@32 is trial.final["eval_accuracy@32"]
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "compute_lock.hpp"
#include "output_dir.hpp"

namespace attnlab::python {
namespace {

// A column as read, before it becomes an array (with the GIL).
struct Column {
  std::string name;
  std::variant<std::vector<int32_t>, Tensor> values;
};

Column steps_column(const Hdf5File& file, const std::string& dataset) {
  return {"step", file.read_ints(dataset)};
}

std::vector<Column> train_columns(const Hdf5File& file) {
  std::vector<Column> columns{steps_column(file, trial_paths::train_steps)};
  for (const std::string& name : file.children(trial_paths::train))
    if (name != "step")
      columns.push_back({name, file.read_tensor(fmt::format("{}/{}", trial_paths::train, name))});
  return columns;
}

// One evaluation group's metrics, each under its final figure's name.
void append_evaluation(const Hdf5File& file, const std::string& group,
                       std::optional<int64_t> length, const std::string& setting,
                       std::vector<Column>& columns) {
  for (const std::string& metric : file.children(group))
    columns.push_back({figure_name(metric, length, setting),
                       file.read_tensor(fmt::format("{}/{}", group, metric))});
}

// An evaluation group's length (its `length` attribute) by group path.
std::vector<std::pair<int64_t, std::string>> length_groups(const Hdf5File& file,
                                                           const std::string& parent) {
  std::vector<std::pair<int64_t, std::string>> groups;
  for (const std::string& child : file.children(parent)) {
    const std::string path = fmt::format("{}/{}", parent, child);
    if (file.is_group(path) && file.has_attribute(path, "length"))
      groups.emplace_back(file.int_attribute(path, "length"), path);
  }
  return groups;
}

std::vector<Column> evaluation_columns(const Hdf5File& file) {
  std::vector<Column> columns{steps_column(file, trial_paths::evaluation_steps)};
  const int64_t trained = file.int_attribute(trial_paths::evaluation, trial_paths::training_length);
  auto lengths = length_groups(file, trial_paths::evaluation);
  // The training length first (its figures carry no @L), then the others by length.
  std::sort(lengths.begin(), lengths.end(), [&](const auto& a, const auto& b) {
    return std::make_pair(a.first != trained, a.first) <
           std::make_pair(b.first != trained, b.first);
  });
  for (const auto& [length, group] : lengths)
    append_evaluation(file, group, length == trained ? std::nullopt : std::optional(length), "",
                      columns);
  const std::string settings = fmt::format("{}/settings", trial_paths::evaluation);
  if (file.contains(settings))
    for (const std::string& setting_folder : file.children(settings))
      for (const auto& [length, group] :
           length_groups(file, fmt::format("{}/{}", settings, setting_folder)))
        append_evaluation(file, group, std::nullopt, file.string_attribute(group, "setting"),
                          columns);
  return columns;
}

std::vector<Column> read_columns(const std::string& path, const std::string& kind) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  return kind == "train" ? train_columns(file) : evaluation_columns(file);
}

}  // namespace

py::dict trial_metrics(const TrialHandle& trial, const std::string& kind) {
  if (kind != "train" && kind != "eval")
    throw ConfigError(fmt::format(
        "metrics: found kind '{}', expected 'train' (one row per step) or 'eval' (one row per "
        "evaluation)",
        kind));
  const std::string path = trial.finished_file("metrics").string();
  std::vector<Column> columns = without_gil([&] { return read_columns(path, kind); });
  py::dict arrays;
  for (Column& column : columns) {
    if (auto* steps = std::get_if<std::vector<int32_t>>(&column.values)) {
      const auto count = static_cast<int64_t>(steps->size());
      arrays[py::str(column.name)] = vector_array(std::move(*steps), {count});
    } else {
      arrays[py::str(column.name)] = tensor_array(std::get<Tensor>(column.values), true);
    }
  }
  return arrays;
}

}  // namespace attnlab::python
