#include "attnlab/run/trial_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "activation_recorder.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/parameter_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/training_state.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

void write_trial_attributes(Hdf5File& file, const TrialTicket& ticket) {
  write_provenance(file, file_kinds::trial);
  file.set_attribute("/", "experiment", ticket.experiment);
  file.set_attribute("/", "experiment_yaml", ticket.given_yaml);
  file.set_attribute("/", "experiment_resolved_yaml", ticket.resolved_yaml);
  const Trial& trial = ticket.trial;
  file.set_attribute("/", "trial_id", trial.id);
  file.set_attribute("/", "trial_index", trial.index);
  file.set_attribute("/", "arm", trial.arm);
  file.set_attribute("/", "seed", static_cast<int64_t>(trial.seed));
  file.set_attribute("/", kConfigAttribute, to_yaml(trial.config));
  file.create_group(trial_paths::axes);
  for (const auto& [key, value] : trial.axes) file.set_attribute(trial_paths::axes, key, value);
}

Tensor column(const std::vector<TrainRecord>& history, float TrainRecord::*field) {
  std::vector<float> values;
  for (const TrainRecord& r : history) values.push_back(r.*field);
  return Tensor::from_values({static_cast<int64_t>(values.size())}, values);
}

void write_metrics(Hdf5File& file, const std::vector<TrainRecord>& history) {
  std::vector<int32_t> steps;
  for (const TrainRecord& r : history) steps.push_back(static_cast<int32_t>(r.step));
  namespace paths = trial_paths;
  const auto train_curve = [](const char* name) {
    return fmt::format("{}/{}", paths::train, name);
  };
  file.write_ints(paths::train_steps, steps, {static_cast<int64_t>(steps.size())});
  file.write_tensor(train_curve("loss"), column(history, &TrainRecord::loss));
  file.write_tensor(train_curve("lr"), column(history, &TrainRecord::lr));
  file.write_tensor(train_curve("grad_norm"), column(history, &TrainRecord::grad_norm));

  std::vector<int32_t> eval_steps;
  std::map<std::pair<std::string, int64_t>, std::vector<const Evaluation*>> by_setting_and_length;
  for (const TrainRecord& r : history) {
    if (r.eval.empty()) continue;
    eval_steps.push_back(static_cast<int32_t>(r.step));
    for (const Evaluation& e : r.eval) by_setting_and_length[{e.setting, e.length}].push_back(&e);
  }
  const auto count = static_cast<int64_t>(eval_steps.size());
  file.write_ints(paths::evaluation_steps, eval_steps, {count});
  // Which length group holds the figures without @L (readers need not guess).
  file.set_attribute(paths::evaluation, paths::training_length, history.back().eval.front().length);
  for (const auto& [key, evaluations] : by_setting_and_length) {
    const auto& [setting, length] = key;
    const std::string group = paths::evaluation_group(setting, length);
    for (const Evaluation::Metric& metric : Evaluation::metrics()) {
      std::vector<float> values;
      for (const Evaluation* e : evaluations) values.push_back(e->*metric.member);
      if (metric.optional &&
          std::all_of(values.begin(), values.end(), [](float v) { return std::isnan(v); }))
        continue;  // not measured for this trial (generation_accuracy when off)
      file.write_tensor(group + "/" + metric.name, Tensor::from_values({count}, values));
    }
    file.set_attribute(group, "length", length);
    if (!setting.empty()) file.set_attribute(group, "setting", setting);
  }
  // The figures a results table compares: the last step's.
  file.create_group(paths::final);
  file.set_attribute(paths::final, kTrainLossFigure, static_cast<double>(history.back().loss));
  const int64_t trained_length = history.back().eval.front().length;
  for (const Evaluation& e : history.back().eval)
    for (const Evaluation::Metric& metric : Evaluation::metrics())
      if (!metric.optional || !std::isnan(e.*metric.member))  // a measured NaN is kept
        file.set_attribute(paths::final, final_figure_name(metric, e, trained_length),
                           static_cast<double>(e.*metric.member));
}

// The resume point a killed run of this trial left at `path`, loaded into
// `model`; none when there is none, and none (said on stderr, the file set
// aside) when it is damaged or another trial's: the trial then starts over.
std::optional<ResumePoint> resume_point(const std::filesystem::path& path, const Trial& trial,
                                        const TrainOptions& options, const InitialWeights& initial,
                                        const Module& model) {
  std::error_code absent;
  if (options.checkpoint_every == 0 || !std::filesystem::exists(path, absent)) return std::nullopt;
  std::string problem;
  try {
    ResumePoint point = read_resume_point(path, model);
    if (point.trial_id != trial.id || point.training.step >= options.steps)
      problem =
          fmt::format("{}: is trial {}'s state at step {}, not trial {}'s before step {}",
                      path.string(), point.trial_id, point.training.step, trial.id, options.steps);
    else if (point.init_digest != initial.digest)
      problem = fmt::format(
          "{}: continues from parameters of digest {}, and train.init_from ({}) now holds "
          "values of digest {}: the file changed since the trial started",
          path.string(), point.init_digest, options.init_from, initial.digest);
    if (problem.empty()) {
      assign_parameters(model, point.parameters, path.string());
      return point;
    }
  } catch (const Error& e) {
    problem = e.what();
  }
  std::filesystem::path aside = path;
  aside += ".unusable";
  std::filesystem::rename(path, aside, absent);
  fmt::print(stderr, "attnlab: {}; trial {} starts from step 0 (the file is kept as {})\n", problem,
             trial.id, aside.string());
  return std::nullopt;
}

// A copy of every parameter's values (the model trains on).
ParameterSnapshot snapshot_of(const TaskModel& model, int64_t step) {
  ParameterSnapshot snapshot{.step = step, .parameters = {}};
  for (const auto& [name, tensor] : model.module().named_parameters())
    snapshot.parameters.emplace(name, Tensor::from_values(tensor.shape(), tensor.values()));
  return snapshot;
}

// Records again the snapshots a resumed trial took before it was stopped, each
// from its parameters: the same activations, as the same forward pass computes
// them, and the same parameters (record.parameters).
void record_again(ActivationRecorder& recorder, const TrialSpec& spec,
                  const std::vector<ParameterSnapshot>& snapshots) {
  if (snapshots.empty()) return;
  Rng init = seeded_rng(spec.train.seed, "init");
  const TaskModel past(spec.shape, spec.model, init);
  for (const ParameterSnapshot& snapshot : snapshots) {
    assign_parameters(past.module(), snapshot.parameters, "a resumed trial's snapshot");
    recorder.record(past, snapshot.step);  // queues copies: `past` may change next
    if (spec.record.parameters) recorder.record_parameters(past, snapshot.step);
  }
}

void write_initial_weights(Hdf5File& file, const std::string& source,
                           const InitialWeights& loaded) {
  if (source.empty()) return;
  file.set_attribute("/", "init_from", source);
  file.set_attribute("/", "init_from_loaded", loaded.account);
  file.set_attribute("/", "init_from_digest", loaded.digest);
}

}  // namespace

TaskBatch recorded_examples(const TrialSpec& spec, const Task& task) {
  Rng rng = seeded_rng(spec.train.seed, "record");
  return task.sample(spec.shape, spec.record.examples, task.length(), rng);
}

double run_trial(const TrialTicket& ticket, const std::string& path,
                 const std::function<void(const TrainRecord&)>& on_step,
                 const std::function<void(int64_t step)>& on_resume) {
  const auto start = std::chrono::steady_clock::now();
  const BuiltTrial built = build_trial(ticket.trial.config);
  const TrialSpec& spec = built.spec;
  const std::unique_ptr<Task>& task = built.task;
  set_thread_count(spec.threads);
  Rng init = seeded_rng(spec.train.seed, "init");
  const TaskModel model(spec.shape, spec.model, init);
  const InitialWeights initial =
      spec.train.init_from.empty()
          ? InitialWeights{}
          : load_initial_weights(model.module(), spec.train.init_from, spec.train.init_from_strict);
  const std::filesystem::path resume_path = resume_point_path(path);
  std::optional<ResumePoint> resumed =
      resume_point(resume_path, ticket.trial, spec.train, initial, model.module());
  std::vector<ParameterSnapshot> recorded =
      resumed ? resumed->recorded : std::vector<ParameterSnapshot>{};
  const double seconds_before = resumed ? resumed->seconds : 0.0;
  if (resumed && on_resume) on_resume(resumed->training.step);
  const auto seconds_so_far = [&] {
    return seconds_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  double seconds = 0.0;
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    write_trial_attributes(file, ticket);
    write_initial_weights(file, spec.train.init_from, initial);
    if (resumed) file.set_attribute("/", "resumed_from_step", resumed->training.step);
    file.set_attribute("/", "status", "running");
    ActivationRecorder recorder(file, spec, *task);
    record_again(recorder, spec, recorded);
    const std::vector<EvaluationSetting> settings = built.evaluation_settings();
    TrainingCheckpoints checkpoints{.resume_from = resumed ? &resumed->training : nullptr,
                                    .save = [&](const TrainingState& state) {
                                      write_resume_point(resume_path,
                                                         {.trial_id = ticket.trial.id,
                                                          .init_digest = initial.digest,
                                                          .parameters = {},
                                                          .training = state,
                                                          .recorded = recorded,
                                                          .seconds = seconds_so_far()},
                                                         model.module());
                                    }};
    std::vector<TrainRecord> history;
    try {
      history = train(
          model, *task, spec.train,
          [&](const TrainRecord& r) {
            if (spec.record.every > 0 && r.step % spec.record.every == 0 &&
                r.step != spec.train.steps) {
              recorder.record(model, r.step);
              if (spec.record.parameters) recorder.record_parameters(model, r.step);
              if ((recorder.enabled() || spec.record.parameters) && spec.train.checkpoint_every > 0)
                recorded.push_back(snapshot_of(model, r.step));
            }
            if (on_step) on_step(r);
          },
          settings, checkpoints);
    } catch (const TrialInterrupted&) {
      throw;  // nothing is kept: the writes still waiting are dropped
    } catch (const std::exception& training_error) {
      recorder.abandon_after(training_error);
      if (is_divergence(training_error.what())) {  // a result: it will not run again
        std::error_code already_gone;
        std::filesystem::remove(resume_path, already_gone);
      }
      throw;
    }
    recorder.record(model, spec.train.steps);
    recorder.finish();
    write_metrics(file, history);
    int64_t parameters = 0;  // shown beside the figures: arms of different sizes are compared
    for (const Tensor& p : model.module().parameters()) parameters += p.numel();
    file.set_attribute(trial_paths::final, kParametersFigure, static_cast<double>(parameters));
    write_parameters(file, model.module());
    seconds = seconds_so_far();
    file.set_attribute("/", "wall_time_seconds", seconds);
    file.set_attribute("/", "status", "finished");
  });
  std::error_code already_gone;  // the trial is finished: its resume point is of no more use
  std::filesystem::remove(resume_path, already_gone);
  return seconds;
}

}  // namespace attnlab
