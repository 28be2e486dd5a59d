#include "attnlab/io/training_state.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

// Where each part lives in the file.
constexpr const char* kParameters = "parameters";
constexpr const char* kFirstMoment = "optimizer/first_moment";
constexpr const char* kSecondMoment = "optimizer/second_moment";
constexpr const char* kHistory = "history";
constexpr const char* kEvaluations = "history/evaluations";
constexpr const char* kSnapshots = "snapshots";

std::string in(const char* group, const char* name) {
  return fmt::format("{}/{}", group, name);
}

void write_tree(Hdf5File& file, const std::string& group,
                const std::vector<std::pair<std::string, Tensor>>& tensors) {
  for (const auto& [name, tensor] : tensors) file.write_tensor(hdf5_path(group, name), tensor);
}

// One optimizer moment per parameter, shaped as its parameter.
std::vector<std::pair<std::string, Tensor>> moments_as_tensors(
    const std::vector<std::pair<std::string, Tensor>>& parameters,
    const std::vector<std::vector<float>>& moments) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (std::size_t i = 0; i < parameters.size(); ++i)
    tensors.emplace_back(parameters[i].first,
                         Tensor::from_values(parameters[i].second.shape(), moments.at(i)));
  return tensors;
}

Tensor column(const std::vector<float>& values) {
  return Tensor::from_values({static_cast<int64_t>(values.size())}, values);
}

void write_history(Hdf5File& file, const std::vector<TrainRecord>& history) {
  std::vector<int32_t> steps;
  std::vector<float> loss, lr, grad_norm;
  std::vector<int32_t> eval_steps, eval_lengths;
  std::vector<std::string> eval_settings;
  std::vector<std::vector<float>> figures(Evaluation::metrics().size());
  for (const TrainRecord& record : history) {
    steps.push_back(static_cast<int32_t>(record.step));
    loss.push_back(record.loss);
    lr.push_back(record.lr);
    grad_norm.push_back(record.grad_norm);
    for (const Evaluation& e : record.eval) {
      eval_steps.push_back(static_cast<int32_t>(record.step));
      eval_lengths.push_back(static_cast<int32_t>(e.length));
      eval_settings.push_back(e.setting);
      for (std::size_t m = 0; m < figures.size(); ++m)
        figures[m].push_back(e.*Evaluation::metrics()[m].member);
    }
  }
  file.create_group(kHistory);
  file.set_attribute(kHistory, "steps", static_cast<int64_t>(steps.size()));
  if (steps.empty()) return;
  file.write_ints(in(kHistory, "step"), steps, {static_cast<int64_t>(steps.size())});
  file.write_tensor(in(kHistory, "loss"), column(loss));
  file.write_tensor(in(kHistory, "lr"), column(lr));
  file.write_tensor(in(kHistory, "grad_norm"), column(grad_norm));
  if (eval_steps.empty()) return;
  file.create_group(kEvaluations);
  file.set_attribute(kEvaluations, "settings", eval_settings);
  const auto count = static_cast<int64_t>(eval_steps.size());
  file.write_ints(in(kEvaluations, "step"), eval_steps, {count});
  file.write_ints(in(kEvaluations, "length"), eval_lengths, {count});
  for (std::size_t m = 0; m < figures.size(); ++m)
    file.write_tensor(in(kEvaluations, Evaluation::metrics()[m].name), column(figures[m]));
}

[[noreturn]] void damaged(const fs::path& path, const std::string& what) {
  throw IoError(fmt::format("{}: not a usable training state: {}", path.string(), what));
}

std::vector<TrainRecord> read_history(const Hdf5File& file, const fs::path& path) {
  const int64_t count = file.int_attribute(kHistory, "steps");
  std::vector<TrainRecord> history;
  if (count == 0) return history;
  const std::vector<int32_t> steps = file.read_ints(in(kHistory, "step"));
  const Tensor loss = file.read_tensor(in(kHistory, "loss"));
  const Tensor lr = file.read_tensor(in(kHistory, "lr"));
  const Tensor grad_norm = file.read_tensor(in(kHistory, "grad_norm"));
  if (static_cast<int64_t>(steps.size()) != count || loss.numel() != count || lr.numel() != count ||
      grad_norm.numel() != count)
    damaged(path, fmt::format("its history holds other than {} steps", count));
  for (int64_t i = 0; i < count; ++i) {
    if (steps[i] != i + 1)
      damaged(path, fmt::format("its history's step {} is {}", i + 1, steps[i]));
    history.push_back({.step = i + 1,
                       .loss = loss.data()[i],
                       .lr = lr.data()[i],
                       .grad_norm = grad_norm.data()[i],
                       .eval = {}});
  }
  if (!file.contains(kEvaluations)) return history;
  const std::vector<int32_t> eval_steps = file.read_ints(in(kEvaluations, "step"));
  const std::vector<int32_t> lengths = file.read_ints(in(kEvaluations, "length"));
  const std::vector<std::string> settings = file.string_list_attribute(kEvaluations, "settings");
  std::vector<Tensor> figures;
  for (const Evaluation::Metric& metric : Evaluation::metrics())
    figures.push_back(file.read_tensor(in(kEvaluations, metric.name)));
  const std::size_t evaluations = eval_steps.size();
  bool consistent = lengths.size() == evaluations && settings.size() == evaluations;
  for (const Tensor& figure : figures)
    consistent = consistent && figure.numel() == static_cast<int64_t>(evaluations);
  if (!consistent) damaged(path, "its evaluations are of different lengths");
  for (std::size_t i = 0; i < evaluations; ++i) {
    if (eval_steps[i] < 1 || eval_steps[i] > count)
      damaged(path, fmt::format("an evaluation at step {}, of {} steps", eval_steps[i], count));
    Evaluation evaluation{.setting = settings[i], .length = lengths[i]};
    for (std::size_t m = 0; m < figures.size(); ++m)
      evaluation.*Evaluation::metrics()[m].member = figures[m].data()[i];
    history[eval_steps[i] - 1].eval.push_back(evaluation);
  }
  return history;
}

// The moments stored under `group`, in the order of the model's parameters.
std::vector<std::vector<float>> read_moments(const Hdf5File& file, const std::string& group,
                                             const Module& model, const fs::path& path) {
  const std::map<std::string, Tensor> stored = read_tensor_tree(file, group);
  const ParameterFit fit = fit_parameters(model, stored);
  if (!fit.exact())
    damaged(path, fmt::format("its {} do not fit the model: {}", group, fit.problems()));
  std::vector<std::vector<float>> moments;
  for (const auto& [name, parameter] : model.named_parameters()) {
    const std::span<const float> values = stored.at(name).values();
    moments.emplace_back(values.begin(), values.end());
  }
  return moments;
}

std::vector<ParameterSnapshot> read_snapshots(const Hdf5File& file, const Module& model,
                                              const fs::path& path) {
  std::vector<ParameterSnapshot> snapshots;
  if (!file.contains(kSnapshots)) return snapshots;
  for (const std::string& group : file.children(kSnapshots)) {
    ParameterSnapshot snapshot{.step = trial_paths::snapshot_step(group),
                               .parameters = read_tensor_tree(file, in(kSnapshots, group.c_str()))};
    const ParameterFit fit = fit_parameters(model, snapshot.parameters);
    if (snapshot.step < 1 || !fit.exact())
      damaged(path,
              fmt::format("its snapshot {} does not fit the model: {}", group, fit.problems()));
    snapshots.push_back(std::move(snapshot));
  }
  return snapshots;
}

}  // namespace

fs::path resume_point_path(const fs::path& trial_file) {
  return fs::path(trial_file).replace_extension(".resume");
}

void write_resume_point(const fs::path& path, const ResumePoint& point, const Module& model) {
  const std::vector<std::pair<std::string, Tensor>> parameters = model.named_parameters();
  const TrainingState& training = point.training;
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    write_provenance(file, file_kinds::training_state);
    file.set_attribute("/", "trial_id", point.trial_id);
    file.set_attribute("/", "init_from_digest", point.init_digest);
    file.set_attribute("/", "step", training.step);
    file.set_attribute("/", "seconds", point.seconds);
    file.set_attribute("/", "data_rng", training.data_rng);
    file.set_attribute("/", "dropout_rng", training.dropout_rng);
    file.set_attribute("/", "position_rng", training.position_rng);
    file.set_attribute("/", "optimizer_steps", training.optimizer.steps);
    write_tree(file, kParameters, parameters);
    write_tree(file, kFirstMoment, moments_as_tensors(parameters, training.optimizer.first_moment));
    write_tree(file, kSecondMoment,
               moments_as_tensors(parameters, training.optimizer.second_moment));
    write_history(file, training.history);
    file.create_group(kSnapshots);
    for (const ParameterSnapshot& snapshot : point.recorded) {
      const std::vector<std::pair<std::string, Tensor>> tensors(snapshot.parameters.begin(),
                                                                snapshot.parameters.end());
      // Named as the trial file's snapshot groups (step_NNNNNN), under snapshots/.
      const std::string name = fs::path(trial_paths::snapshot_group(snapshot.step)).filename();
      write_tree(file, in(kSnapshots, name.c_str()), tensors);
    }
  });
}

ResumePoint read_resume_point(const fs::path& path, const Module& model) {
  check_file_at(path.string());  // in a child: HDF5 may crash on a damaged file
  const Hdf5File file(path.string(), Hdf5File::Mode::read);
  check_file(file, file_kinds::training_state, true);
  ResumePoint point;
  point.trial_id = file.string_attribute("/", "trial_id");
  point.init_digest = file.string_attribute("/", "init_from_digest");
  point.seconds = file.number_attribute("/", "seconds");
  TrainingState& training = point.training;
  training.step = file.int_attribute("/", "step");
  training.data_rng = file.string_attribute("/", "data_rng");
  training.dropout_rng = file.string_attribute("/", "dropout_rng");
  training.position_rng = file.string_attribute("/", "position_rng");
  training.optimizer.steps = file.int_attribute("/", "optimizer_steps");
  training.optimizer.first_moment = read_moments(file, kFirstMoment, model, path);
  training.optimizer.second_moment = read_moments(file, kSecondMoment, model, path);
  training.history = read_history(file, path);
  if (static_cast<int64_t>(training.history.size()) != training.step)
    damaged(path, fmt::format("it is at step {} with a history of {} steps", training.step,
                              training.history.size()));
  point.recorded = read_snapshots(file, model, path);
  point.parameters = read_tensor_tree(file, kParameters);
  const ParameterFit fit = fit_parameters(model, point.parameters);
  if (!fit.exact())
    damaged(path, fmt::format("its parameters do not fit the model: {}", fit.problems()));
  return point;
}

}  // namespace attnlab
