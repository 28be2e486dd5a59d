#include "attnlab/io/saved_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {

namespace fs = std::filesystem;
std::string model_configuration(const Hdf5File& file, const std::string& path, bool datasets) {
  const FileKind& kind = file_kind_of(file);
  if (kind.name != file_kinds::trial.name && kind.name != file_kinds::checkpoint.name)
    throw IoError(
        fmt::format("{}: is {}, which holds no trained model; give a trial file of a run "
                    "(OUTPUT/trials/<id>.h5) or a checkpoint",
                    path,
                    kind.name == file_kinds::experiment.name
                        ? std::string("the results file of a run (results.h5)")
                        : fmt::format("an attnlab {} file", kind.name)));
  check_file(file, kind, datasets);
  if (!file.has_attribute("/", kConfigAttribute))
    throw IoError(fmt::format(
        "{}: is a checkpoint without the configuration of its model (written by an attnlab "
        "before 2026-12-08, or by save_checkpoint without one), so the model cannot be rebuilt "
        "from it; load it with load_checkpoint into a model you build, or train it again with "
        "attnlab train --checkpoint",
        path));
  return file.string_attribute("/", kConfigAttribute);
}

namespace {

// The steps whose parameters a trial file stores besides its last.
std::vector<int64_t> parameter_snapshot_steps(const Hdf5File& file) {
  std::vector<int64_t> steps;
  const std::string group = fs::path(trial_paths::parameter_snapshot_group(0)).parent_path();
  if (file.contains(group))
    for (const std::string& child : file.children(group))
      steps.push_back(trial_paths::snapshot_step(child));
  return steps;
}

}  // namespace

SavedModel::SavedModel(const std::filesystem::path& path) : SavedModel(path, -1) {}

SavedModel::SavedModel(const std::filesystem::path& path, int64_t step) : path_(path) {
  std::map<std::string, Tensor> snapshot;
  std::vector<int64_t> stored_steps;
  {
    const Hdf5File file(path.string(), Hdf5File::Mode::read);
    config_yaml_ = model_configuration(file, path.string());
    kind_ = file_kind_of(file).name;
    stored_steps = parameter_snapshot_steps(file);
    if (std::find(stored_steps.begin(), stored_steps.end(), step) != stored_steps.end())
      snapshot = read_tensor_tree(file, trial_paths::parameter_snapshot_group(step));
  }
  built_ = build_trial(parse_yaml(
      config_yaml_, fmt::format("{} ({})", path.string(), kConfigAttribute), kWrittenYamlBounds));
  const int64_t last = built_.spec.train.steps;
  if (step >= 0 && snapshot.empty() && step != last) {
    stored_steps.push_back(last);
    std::vector<std::string> shown;  // a long run's many steps: the first and the last few
    for (std::size_t i = 0; i < stored_steps.size(); ++i)
      if (stored_steps.size() <= 10 || i < 4 || i + 4 >= stored_steps.size())
        shown.push_back(std::to_string(stored_steps[i]));
      else if (i == 4)
        shown.push_back("...");
    throw IoError(fmt::format(
        "{}: holds no parameters of step {}; it has those of step{} {} (record.parameters "
        "stores them at every record.every step)",
        path.string(), step, stored_steps.size() == 1 ? "" : "s", fmt::join(shown, ", ")));
  }
  step_ = snapshot.empty() ? last : step;
  Rng init = seeded_rng(built_.spec.train.seed, "init");
  model_ = std::make_unique<TaskModel>(built_.spec.shape, built_.spec.model, init);
  if (snapshot.empty())
    load_checkpoint(model_->module(), path.string());
  else
    assign_parameters(model_->module(), snapshot, fmt::format("{} (step {})", path.string(), step));
}

SavedModel::~SavedModel() = default;

}  // namespace attnlab
