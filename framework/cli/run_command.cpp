// `attnlab run [EXPERIMENT.yaml]`: every trial of the experiment, in parallel
// worker processes, resumable, then the results table (docs/experiments.md).
#include "run_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "attnlab/error.hpp"
#include "attnlab/registry/parameters.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "attnlab/run/tuning.hpp"
#include "attnlab/threads.hpp"
#include "commands.hpp"
#include "experiment_arguments.hpp"
#include "progress_display.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

po::options_description describe(RunOptions& o) {
  po::options_description options("run options");
  options.add_options()("jobs,j", po::value(&o.jobs)->default_value(0),
                        "trials run at once (0 = as many as the CPUs this process may use run at "
                        "train.threads each: affinity mask, cgroup quota, a SLURM job's CPUs)")(
      "expect-plan", po::value(&o.expected_plan),
      "refuse to run unless the experiment is this plan (a fingerprint in plan.yaml; the array "
      "tasks of `attnlab slurm` pass it, so a task queued for one plan never runs another)")(
      "no-results", po::bool_switch(&o.no_results),
      "leave results.* to `attnlab merge` (the array tasks of `attnlab slurm` do)")(
      "shard", po::value(&o.shard),
      "run only share i of n (i/n, 1-based), e.g. for job arrays; shares partition the plan")(
      "force", po::bool_switch(&o.force),
      "reuse an output directory that holds another plan: its trials not in this plan are moved "
      "to superseded/")("retries", po::value(&o.scheduling.retries)->default_value(0),
                        "run a failed trial up to N more times (not one whose training "
                        "diverged: that is its result)")(
      "fail-fast", po::bool_switch(&o.scheduling.fail_fast),
      "stop everything at the first failure (a divergence is none)")(
      "quiet,q", po::bool_switch(&o.quiet),
      "no progress: only the results, and the trials that failed or diverged")(
      "verbose,v", po::bool_switch(&o.verbose), "print progress more often");
  return options;
}

std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
  if (text.empty()) return {1, 1};
  const auto slash = text.find('/');
  if (slash != std::string::npos) {
    const auto share = parse_parameter_value(ParameterType::integer, text.substr(0, slash));
    const auto shares = parse_parameter_value(ParameterType::integer, text.substr(slash + 1));
    if (share && shares) {
      const int64_t i = std::get<int64_t>(*share), n = std::get<int64_t>(*shares);
      if (n >= 1 && i >= 1 && i <= n) return {i, n};
    }
  }
  throw ConfigError(
      fmt::format("--shard: found '{}', expected i/n with 1 <= i <= n, e.g. 2/4", text));
}

// The trials without figures: those that failed (a run of the plan runs them
// again) and those whose training diverged (a result: it does not).
void print_failures(const std::vector<TrialSummary>& summaries, const OutputLayout& layout) {
  const auto list = [&](bool divergence, std::FILE* to, const std::string& header) {
    bool said = false;
    for (const TrialSummary& s : summaries) {
      if (s.status != TrialStatus::failed || diverged(s) != divergence) continue;
      if (!said) fmt::print(to, "\n{}:\n", header);
      said = true;
      fmt::print(to, "  #{} {} seed {}{}: {}\n    log: {}\n", s.index, s.arm, s.seed,
                 s.tuned.empty() ? "" : fmt::format(", tuned value {}", s.tuned), s.failure,
                 layout.log(s.id).string());
      if (divergence) fmt::print(to, "    marker: {}\n", layout.failure(s.id).string());
    }
  };
  list(true, stdout,
       "diverged trials (a result of their configuration: no run of the plan runs them again; "
       "delete a trial's marker to run it again)");
  std::fflush(stdout);
  list(false, stderr, "failed trials");
}

// An arm whose every trial diverged has no figures, yet the run exits 0: said
// on stderr, where a script's log keeps it.
void warn_of_diverged_arms(const Experiment& experiment,
                           const std::vector<TrialSummary>& summaries) {
  for (const std::string& arm : experiment.arms) {
    int64_t trials = 0, diverged_trials = 0;
    for (const TrialSummary& s : summaries) {
      trials += s.arm == arm;
      diverged_trials += s.arm == arm && diverged(s);
    }
    if (trials > 0 && diverged_trials == trials)
      fmt::print(stderr,
                 "attnlab: warning: every trial of arm {} diverged ({} of {}): it has no "
                 "figures (a lower learning rate, or gradient clipping, may train it)\n",
                 arm, diverged_trials, trials);
  }
}

std::string pending_text(int64_t pending, int64_t elsewhere) {
  std::string text;
  if (pending > 0)
    text += fmt::format(" ({} not run yet: re-run the same command to resume)", pending);
  if (elsewhere > 0)
    text += fmt::format(" ({} belong to other shares: run them with their --shard)", elsewhere);
  return text;
}

// What a run of this share has left, from the summaries just written.
struct Outcome {
  int64_t finished = 0, diverged = 0, mine_settled = 0, pending = 0, elsewhere = 0;
};

Outcome outcome_of(const std::vector<TrialSummary>& summaries, int64_t share, int64_t shares) {
  Outcome o;
  for (const TrialSummary& s : summaries) {
    o.finished += s.status == TrialStatus::finished;
    o.diverged += diverged(s);
    const bool mine = in_share(s.index, share, shares);
    o.mine_settled += settled(s) && mine;
    o.pending += s.status == TrialStatus::pending && mine;
    o.elsewhere += s.status == TrialStatus::pending && !mine;
  }
  return o;
}

}  // namespace

void refuse_other_plan(const Experiment& experiment, const std::string& expected) {
  if (expected.empty() || plan_fingerprint(experiment) == expected) return;
  throw ConfigError(fmt::format(
      "{} is plan {} of experiment '{}', not plan {} that this run was started for (its output "
      "directory was given to another plan, e.g. with --force, after the job was queued); "
      "nothing ran",
      experiment.path.empty() ? experiment.output_dir : experiment.path,
      plan_fingerprint(experiment), experiment.name, expected));
}

void announce(const Experiment& experiment, const OutputLayout& layout,
              const TrialSelection& selection, int64_t share, int64_t shares, int jobs) {
  const auto to_run = static_cast<int64_t>(selection.to_run.size());
  fmt::print(
      "experiment {}: {} trials ({}){}; {} already finished, {}{} to run "
      "with -j {}\noutput: {}\n",
      experiment.name, experiment.trials.size(), describe_trials(experiment),
      shares > 1 ? fmt::format(", share {}/{} = {} trials", share, shares, selection.selected) : "",
      selection.selected - to_run - selection.diverged,
      selection.diverged > 0 ? fmt::format("{} diverged (not run again), ", selection.diverged)
                             : "",
      to_run, jobs, layout.dir().string());
  std::fflush(stdout);
}

ProgressDisplay::Mode display_mode(const RunOptions& options) {
  if (options.quiet) return ProgressDisplay::Mode::quiet;
  return isatty(STDOUT_FILENO) != 0 ? ProgressDisplay::Mode::terminal
                                    : ProgressDisplay::Mode::lines;
}

namespace {

// The table, the conclusion and the failures; the exit code of the run.
int report(const Experiment& experiment, const OutputLayout& layout,
           const std::vector<TrialSummary>& summaries, int64_t share, int64_t shares,
           int64_t selected, int64_t failures, bool interrupted) {
  const Outcome o = outcome_of(summaries, share, shares);
  fmt::print("\n{}{}\n\n{} of {} trials finished{}{}; results in {}/results.{{h5,csv,md}}\n",
             results_table(experiment, summaries), results_table_key(experiment), o.finished,
             summaries.size(), o.diverged > 0 ? fmt::format(", {} diverged", o.diverged) : "",
             pending_text(o.pending, o.elsewhere), layout.dir().string());
  if (const std::string tuning = tuning_table(experiment, summaries); !tuning.empty())
    fmt::print("\n{}", tuning);
  if (const std::string conclusion = conclusion_text(experiment, summaries); !conclusion.empty())
    fmt::print("\nconclusion, computed from these figures:\n{}", conclusion);
  print_failures(summaries, layout);
  warn_of_diverged_arms(experiment, summaries);
  if (interrupted) return 130;
  if (o.mine_settled < selected) {  // whatever the reason, a run that did not finish says so
    fmt::print(stderr, "attnlab: {} of the {} trials of this run did not finish\n",
               selected - o.mine_settled, selected);
    return 1;
  }
  return failures > 0 ? 1 : 0;
}

// Without results: how this share's trials ended, read from their files.
int report_share(const Experiment& experiment, const OutputLayout& layout, int64_t share,
                 int64_t shares, int64_t failures, bool interrupted) {
  Experiment mine = experiment;
  mine.trials.clear();
  for (const Trial& trial : experiment.trials)
    if (in_share(trial.index, share, shares)) mine.trials.push_back(trial);
  const std::vector<TrialSummary> summaries = collect_summaries(mine, layout);
  const Outcome o = outcome_of(summaries, 1, 1);
  fmt::print("\n{} of the {} trials of this share are finished{}; results: attnlab merge {}\n",
             o.finished, summaries.size(),
             o.diverged > 0 ? fmt::format(", {} diverged", o.diverged) : "", layout.dir().string());
  print_failures(summaries, layout);
  if (interrupted) return 130;
  return o.mine_settled < static_cast<int64_t>(summaries.size()) || failures > 0 ? 1 : 0;
}

}  // namespace

int run_run(const std::vector<std::string>& arguments) {
  RunOptions options;
  const ExperimentArguments parsed =
      parse_experiment_arguments("run", arguments, describe(options));
  if (parsed.help) return 0;
  const auto [share, shares] = parse_shard(options.shard);
  if (options.jobs < 0 || options.scheduling.retries < 0)
    throw ConfigError("--jobs and --retries must be >= 0");
  if (const int ranks = mpi_ranks_from_environment(); ranks > 1)
    return run_across_ranks(parsed, options, share, shares);
  const Experiment experiment = load(parsed);
  refuse_other_plan(experiment, options.expected_plan);
  const OutputLayout layout(experiment.output_dir);
  const std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, options.force);
  if (lock->shared() && !options.quiet)
    fmt::print(
        "other attnlab runs of this plan work in {} too (other shares, tasks or hosts): this "
        "run takes the trials none has started, and waits for those they hold\n",
        layout.dir().string());
  const TrialSelection selection = select_trials_to_run(
      experiment, layout, share, shares,
      [](const std::string& warning) { fmt::print(stderr, "attnlab: warning: {}\n", warning); });
  const int jobs =
      options.jobs > 0 ? options.jobs : default_jobs(available_cpus(), selection.to_run);
  if (!options.quiet) announce(experiment, layout, selection, share, shares, jobs);

  install_stop_handlers();
  int64_t failures = 0;
  bool interrupted = false;
  {
    ProgressDisplay display(display_mode(options), options.verbose,
                            static_cast<int64_t>(selection.to_run.size()), jobs);
    TrialScheduler scheduler(experiment, layout, options.scheduling, display, *lock);
    failures = scheduler.run(selection.to_run, jobs);
    interrupted = scheduler.interrupted();
  }
  return finish_run(experiment, layout, options, share, shares, selection.selected, failures,
                    interrupted);
}

int finish_run(const Experiment& experiment, const OutputLayout& layout, const RunOptions& options,
               int64_t share, int64_t shares, int64_t selected, int64_t failures,
               bool interrupted) {
  if (options.no_results)
    return report_share(experiment, layout, share, shares, failures, interrupted);
  std::vector<TrialSummary> summaries;
  try {
    summaries = update_results(experiment, layout);
  } catch (const IoError& e) {
    fmt::print(stderr,
               "attnlab: cannot write the results: {}\nfinished trials are kept in {}: free the "
               "space and run the same command again to resume and write them\n",
               e.what(), layout.trials().string());
    return interrupted ? 130 : 1;
  }
  return report(experiment, layout, summaries, share, shares, selected, failures, interrupted);
}

}  // namespace attnlab::cli
