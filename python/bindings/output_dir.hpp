// An output directory of `attnlab run` opened from Python (attnlab.open): its
// plan and every trial's summary, each trial file checked as every reader
// checks it (analysis/experiment_results.hpp), and per trial what its file
// holds: configuration, curves, recorded activations.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/analysis/experiment_results.hpp"
#include "bindings.hpp"

namespace attnlab::python {

/// What one attnlab.open read, shared by its Output and Trial objects.
struct OutputState {
  analysis::ExperimentResults results;
  /// The experiment rebuilt from plan.yaml, read the first time a trial without
  /// a file is asked for its configuration (it loads the plan's plugins).
  std::optional<Experiment> planned;
};

class TrialHandle {
 public:
  TrialHandle(std::shared_ptr<OutputState> output, std::size_t position)
      : output_(std::move(output)), position_(position) {}

  const TrialSummary& summary() const { return output_->results.all_trials[position_]; }
  bool finished() const { return summary().status == TrialStatus::finished; }
  /// Its file, trials/<id>.h5, which only a finished trial has (a trial that
  /// failed or diverged has its marker, trials/<id>.failed).
  std::filesystem::path file() const;
  /// The same, or ConfigError saying why there is none, for reading `what`.
  std::filesystem::path finished_file(const std::string& what) const;
  /// The resolved configuration it was trained with (its file's), or for a
  /// trial without a file the one its plan gives it.
  std::string config_yaml() const;

 private:
  std::shared_ptr<OutputState> output_;
  std::size_t position_;
};

/// attnlab.open(directory): an Output object.
py::object open_output(const std::string& directory);

/// `trial.metrics(kind)`: "train" (one row per step: step, loss, lr,
/// grad_norm) or "eval" (one row per evaluation: step, then each final
/// figure's curve under the figure's name). trial_metrics.cpp.
py::dict trial_metrics(const TrialHandle& trial, const std::string& kind);

/// The Activation class, and Trial's activation_steps, activation_names,
/// activations and recorded_inputs. trial_activations.cpp.
void bind_trial_activations(py::module_& module,
                            py::class_<TrialHandle, std::shared_ptr<TrialHandle>>& trial);

}  // namespace attnlab::python
