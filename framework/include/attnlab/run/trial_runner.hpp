// Running one trial: train it, record what its configuration asks for, and
// write its HDF5 file (docs/hdf5-layout.md) under a temporary name that is
// renamed only when the file is complete, so a crash never leaves a file that
// looks finished.
#pragma once

#include <functional>
#include <string>

#include "attnlab/error.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// Version of the results layout this build writes; readers refuse newer files.
inline constexpr int64_t kResultsSchemaVersion = file_kinds::trial.schema;

/// Everything a worker needs to run one trial on its own.
struct TrialTicket {
  std::string experiment;     // its name
  std::string given_yaml;     // the experiment file as given (plus the -o overrides)
  std::string resolved_yaml;  // the experiment after base: and overrides
  Trial trial;
};

TrialTicket make_ticket(const Experiment& experiment, const Trial& trial);
std::string ticket_to_yaml(const TrialTicket& ticket);
/// Reads a ticket written by ticket_to_yaml (ConfigError with the file's location otherwise).
TrialTicket read_ticket(const std::string& path);

/// Thrown from a step callback to stop a trial early (Ctrl-C); nothing is written.
class TrialInterrupted : public Error {
 public:
  TrialInterrupted() : Error("interrupted") {}
};

/// The examples a trial records its activations on (record.examples of them,
/// at the training length, from its seed's "record" stream): the same on
/// every call, so analysis can measure on exactly what was recorded.
TaskBatch recorded_examples(const TrialSpec& spec, const Task& task);

/// Trains the ticket's trial and writes its results to `path` (atomically).
/// With train.checkpoint_every, it saves its training state beside `path`
/// (resume_point_path) every so many steps and, when a killed run left one,
/// continues from it, calling on_resume with its step, to exactly the result
/// of a run never stopped. on_step is called after every step and may throw
/// TrialInterrupted. Returns the wall time in seconds (of every run of the
/// trial); training errors (divergence, ...) propagate.
double run_trial(const TrialTicket& ticket, const std::string& path,
                 const std::function<void(const TrainRecord&)>& on_step = {},
                 const std::function<void(int64_t step)>& on_resume = {});

}  // namespace attnlab
