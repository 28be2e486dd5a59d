// A resolved trial configuration in typed form: what the trainer, the model
// and the recorder are built from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/model/config.hpp"
#include "attnlab/task/task.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// Which activations to keep (docs/hdf5-layout.md lists the names and shapes).
/// The defaults here are the experiment schema's defaults (it reads them from here).
struct RecordOptions {
  /// Recorded activations waiting to be written, at most (training waits
  /// beyond it; the memory estimate counts it). A snapshot is produced in a
  /// burst, by a forward pass over the recorded examples, and written over the
  /// next training steps: a limit under one snapshot stalls training until the
  /// writer catches up (experiments/attention_maps.yaml: 54 MiB a snapshot; a
  /// 16 MiB limit cost it a second a trial).
  static constexpr int64_t kMostBytesWaiting = int64_t{64} << 20;
  std::vector<std::string> tensors;  // glob patterns over dotted names; empty = record nothing
  std::vector<int64_t> layers;       // layer indices kept; empty = every layer
  std::vector<int64_t> heads;        // head indices kept; empty = every head
  int64_t examples = 4;              // fixed evaluation examples recorded
  int64_t every = 0;                 // also record every k steps (0 = only after training)
  bool parameters = false;           // also store the parameters at each of those steps
};

/// An extra evaluation (eval.settings): the trial's task with some parameters changed.
struct TaskSetting {
  std::string name;      // the changes, "ignore_probability=0.98" ("k=v,k2=v2" for several)
  ComponentChoice task;  // the trial's task choice with the changes applied
};

/// The name of a setting from its resolved map of changes, in the map's order.
std::string task_setting_name(const ConfigNode& changes);

struct TrialSpec {
  ModelShape shape = ModelShape::decoder;
  TransformerConfig model;
  ComponentChoice task;
  TrainOptions train;  // train.eval_lengths[0] is the task's training length
  RecordOptions record;
  std::vector<TaskSetting> eval_settings;  // evaluated beside the task, never trained on
  int threads = 1;
  std::vector<std::string> plugins;  // absolute paths, loaded before anything is built
};

/// The component the `task` section of a resolved configuration chooses.
ComponentChoice task_choice(const ConfigNode& resolved);

/// Typed view of a resolved trial configuration (as Trial::config), sized for
/// `task` (the task it chooses: vocabulary, classes and lengths) and for the
/// tasks of its eval.settings, in order (their sequences may be longer). Pure:
/// reads `resolved` and asks the tasks, loads nothing, builds nothing.
TrialSpec trial_spec(const ConfigNode& resolved, const Task& task,
                     const std::vector<const Task*>& setting_tasks = {});

/// A trial ready to run: its task and those of its eval.settings, built once,
/// and its typed view.
struct BuiltTrial {
  std::unique_ptr<Task> task;
  TrialSpec spec;
  std::vector<std::unique_ptr<Task>> setting_tasks;  // one per spec.eval_settings, in order

  /// The settings as the trainer takes them (pointing into this trial).
  std::vector<EvaluationSetting> evaluation_settings() const;
  /// The longest sequence the model is fed, in tokens: at every evaluated
  /// length and on every eval.settings task.
  int64_t longest_sequence() const;
};

/// Loads the trial's plugins (a no-op for those the experiment already loaded:
/// each is loaded at most once per process) and builds its task, once; what
/// runs or checks a trial starts here.
BuiltTrial build_trial(const ConfigNode& resolved);

/// Loads the plugins a configuration's `plugins` list names, as absolute paths
/// or relative to `folder`, and returns their absolute paths in that order.
/// Throws ConfigError naming the list item for one that cannot be loaded.
std::vector<std::string> load_listed_plugins(const ConfigNode& plugins,
                                             const std::filesystem::path& folder = {});

}  // namespace attnlab
