// attnlab.run: `attnlab run` from Python. Every trial of the experiment runs
// in a worker process of the attnlab command line (worker_program.hpp),
// resumable as on the command line (the same output directory, plan.yaml,
// locks and files); the GIL is released while it runs, progress goes to
// sys.stderr, and Ctrl-C stops it as it stops `attnlab run` (running trials
// stop at their next step; a second Ctrl-C kills them), then raises
// KeyboardInterrupt. The finished run is returned opened, as attnlab.open gives it.
#include <fmt/format.h>

#include <mutex>
#include <optional>

#include "attnlab/error.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "attnlab/threads.hpp"
#include "compute_lock.hpp"
#include "experiments.hpp"
#include "output_dir.hpp"
#include "run_progress.hpp"
#include "stop_signals.hpp"
#include "worker_program.hpp"

namespace attnlab::python {
namespace {

struct RunRequest {
  std::optional<std::string> path;
  std::vector<std::string> overrides;
  int jobs = 0, retries = 0;
  bool force = false, fail_fast = false, quiet = false;
};

struct RunOutcome {
  std::string output_dir;
  bool interrupted = false;
};

// Runs belong to the process (its signal handlers, the output directory's
// locks, which are the process's): one at a time.
std::mutex& run_mutex() {
  static std::mutex mutex;
  return mutex;
}

template <class Work>
auto with_compute_lock(Work&& work) {
  std::lock_guard<std::mutex> lock(compute_mutex());
  return std::forward<Work>(work)();
}

void announce(const Experiment& experiment, const OutputLayout& layout,
              const TrialSelection& selection, int jobs) {
  const auto to_run = static_cast<int64_t>(selection.to_run.size());
  RunProgress::write_line(fmt::format(
      "experiment {}: {} trials ({}); {} already finished, {}{} to run with jobs={}\noutput: {}",
      experiment.name, experiment.trials.size(), describe_trials(experiment),
      selection.selected - to_run - selection.diverged,
      selection.diverged > 0 ? fmt::format("{} diverged (not run again), ", selection.diverged)
                             : "",
      to_run, jobs, layout.dir().string()));
}

// What the run leaves, as `attnlab run` reports it (on sys.stderr here).
void report(const Experiment& experiment, const OutputLayout& layout,
            const std::vector<TrialSummary>& summaries, bool quiet) {
  int64_t finished = 0, diverged_trials = 0, failed = 0;
  for (const TrialSummary& s : summaries) {
    finished += s.status == TrialStatus::finished;
    diverged_trials += diverged(s);
    failed += s.status == TrialStatus::failed && !diverged(s);
  }
  if (!quiet)
    RunProgress::write_line(
        fmt::format("\n{}{}", results_table(experiment, summaries), results_table_key(experiment)));
  RunProgress::write_line(fmt::format(
      "{} of {} trials finished{}{}; results in {}/results.{{h5,csv,md}}", finished,
      summaries.size(), diverged_trials > 0 ? fmt::format(", {} diverged", diverged_trials) : "",
      failed > 0 ? fmt::format(", {} failed (each Trial's .failure says why)", failed) : "",
      layout.dir().string()));
  if (const std::string conclusion = conclusion_text(experiment, summaries);
      !quiet && !conclusion.empty())
    RunProgress::write_line("conclusion, computed from these figures:\n" + conclusion);
}

// Called without the GIL. The compute lock is held while the experiment is
// read and the results written, not while workers train (the model and open
// functions stay usable from other threads meanwhile).
RunOutcome run_experiment(const RunRequest& request, bool main_thread) {
  const std::string worker = worker_program();  // before anything is written
  const Experiment experiment =
      with_compute_lock([&] { return load_experiment_of(request.path, request.overrides); });
  const OutputLayout layout(experiment.output_dir);
  const std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, request.force);
  const TrialSelection selection = select_trials_to_run(
      experiment, layout, 1, 1,
      [](const std::string& warning) { RunProgress::write_line("attnlab: warning: " + warning); });
  const int jobs =
      request.jobs > 0 ? request.jobs : default_jobs(available_cpus(), selection.to_run);
  if (!request.quiet) announce(experiment, layout, selection, jobs);
  SchedulerOptions options;
  options.retries = request.retries;
  options.fail_fast = request.fail_fast;
  options.worker_program = worker;
  RunProgress progress(request.quiet);
  RunOutcome outcome{experiment.output_dir, false};
  {
    const SchedulerSignals signals(main_thread);
    TrialScheduler scheduler(experiment, layout, options, progress, *lock);
    scheduler.run(selection.to_run, jobs);
    outcome.interrupted = scheduler.interrupted();
  }
  const std::vector<TrialSummary> summaries =
      with_compute_lock([&] { return update_results(experiment, layout); });
  report(experiment, layout, summaries, request.quiet);
  return outcome;
}

bool on_main_thread() {
  const py::module_ threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

py::object run(const std::optional<std::filesystem::path>& path, std::vector<std::string> overrides,
               int jobs, const std::optional<std::filesystem::path>& output, bool force,
               int retries, bool fail_fast, bool quiet) {
  if (jobs < 0 || retries < 0)
    throw ConfigError(
        fmt::format("jobs and retries must be >= 0 (found {} and {})", jobs, retries));
  if (output) overrides.push_back("output=" + output->string());
  std::unique_lock<std::mutex> only_run(run_mutex(), std::try_to_lock);
  if (!only_run.owns_lock())
    throw Error(
        "attnlab.run: another run is going on in this process (a run takes the process's "
        "signals and its output directory's locks); wait for it, or run from another process");
  const RunRequest request{path_text(path), overrides, jobs, retries, force, fail_fast, quiet};
  const bool main_thread = on_main_thread();
  const RunOutcome outcome = [&] {
    py::gil_scoped_release released;
    return run_experiment(request, main_thread);
  }();
  if (outcome.interrupted) {
    PyErr_SetString(PyExc_KeyboardInterrupt,
                    fmt::format("attnlab.run stopped by a signal; finished trials are kept in {}, "
                                "and running it again resumes it",
                                outcome.output_dir)
                        .c_str());
    throw py::error_already_set();
  }
  return open_output(outcome.output_dir);
}

}  // namespace

void bind_runs(py::module_& module) {
  module.def("run", &run, py::arg("path") = py::none(),
             py::arg("overrides") = std::vector<std::string>{}, py::arg("jobs") = 0,
             py::arg("output") = py::none(), py::arg("force") = false, py::arg("retries") = 0,
             py::arg("fail_fast") = false, py::arg("quiet") = false,
             "Runs every trial of an experiment as `attnlab run` does, each in a worker "
             "process of the attnlab command line, resumable (a trial already finished in the "
             "output directory is not run again), and returns the output directory opened "
             "(attnlab.open). path: an experiment file (None: the default experiment); "
             "overrides: ['KEY=VALUE', ...] as -o; jobs: trials at once (0: as many as the CPUs "
             "allow at train.threads each); output: the output directory (the override "
             "output=...). The GIL is released while it runs and progress goes to sys.stderr "
             "(quiet: only failures). Ctrl-C stops it as it stops attnlab run, then raises "
             "KeyboardInterrupt; a trial that fails is a result (its .status and .failure say "
             "so), not an exception.");
}

}  // namespace attnlab::python
