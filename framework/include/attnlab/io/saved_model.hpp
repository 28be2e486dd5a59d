// A trained model rebuilt from one file alone: a trial file of a run, or a
// checkpoint that stores its configuration (attnlab train --checkpoint,
// attnlab import). What `attnlab eval`, import's check and the analysis of a
// trial start from.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/model/task_model.hpp"

namespace attnlab {

class Hdf5File;

/// The resolved trial configuration of the model in open file `file` (named
/// `path`), after checking it as its kind's readers do (its datasets' values
/// too, with `datasets`). IoError naming the file when it holds no model to
/// rebuild: a file of another kind (results.h5, an analysis file), or a
/// checkpoint written without its configuration.
std::string model_configuration(const Hdf5File& file, const std::string& path,
                                bool datasets = false);

class SavedModel {
 public:
  /// Reads `path`, checked as its kind's readers check it (schema, seal),
  /// rebuilds the model its configuration describes and loads its parameters.
  /// IoError naming the file when it is not such a file: another kind of
  /// attnlab file, a checkpoint without its configuration, parameters that do
  /// not fit the model. HDF5 may crash on a damaged file: where one may be,
  /// check_file_at (provenance.hpp) first, which reads it in a child process.
  explicit SavedModel(const std::filesystem::path& path);
  /// The same, with the parameters of a trial's record.every step `step`
  /// (stored with record.parameters under /parameter_snapshots) rather than
  /// its last: IoError naming the file and the steps it has otherwise.
  SavedModel(const std::filesystem::path& path, int64_t step);
  ~SavedModel();
  SavedModel(const SavedModel&) = delete;
  SavedModel& operator=(const SavedModel&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// "trial" or "checkpoint" (the file's kind).
  const std::string& kind() const { return kind_; }
  /// The resolved trial configuration the model was built and trained under.
  const std::string& config_yaml() const { return config_yaml_; }
  /// The step whose parameters the model holds (the last: train.steps).
  int64_t step() const { return step_; }
  const BuiltTrial& trial() const { return built_; }
  const TrialSpec& spec() const { return built_.spec; }
  const Task& task() const { return *built_.task; }
  const TaskModel& model() const { return *model_; }
  /// The model for interventions (head gates and offsets; its parameters stay).
  TaskModel& model() { return *model_; }

 private:
  std::filesystem::path path_;
  std::string kind_, config_yaml_;
  int64_t step_ = 0;
  BuiltTrial built_;
  std::unique_ptr<TaskModel> model_;
};

}  // namespace attnlab
