// `attnlab slurm EXPERIMENT.yaml [options] [--submit]`: the experiment as a
// SLURM job array that packs its trials, plus a merge job after it, written
// into the output directory (and submitted with --submit). attnlab then
// exits: SLURM runs the jobs, `attnlab status` follows them (docs/cluster.md).
#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <optional>

#include "attnlab/cluster/slurm_job.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/process/external_program.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/run_status.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "commands.hpp"
#include "experiment_arguments.hpp"
#include "slurm_jobs.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

constexpr std::chrono::seconds kSlurmCommandTime{60};
// scontrol answers at once where a controller runs; without one it may wait long.
constexpr std::chrono::seconds kSlurmQueryTime{10};

constexpr int64_t kNotGiven = -1;

struct SlurmOptions {
  int64_t trials_per_task = kNotGiven, array_size = kNotGiven, max_array_size = kNotGiven;
  int64_t retries = 0;
  SlurmRequest request;
  bool submit = false, force = false;
};

po::options_description describe(SlurmOptions& o) {
  po::options_description options("slurm options");
  options.add_options()("trials-per-task", po::value(&o.trials_per_task),
                        "trials each array task runs (default: as many as its CPUs run at once, "
                        "more if the site's MaxArraySize asks)")(
      "array-size", po::value(&o.array_size),
      "array tasks to spread the trials over (instead of --trials-per-task)")(
      "cpus-per-task,c", po::value(&o.request.cpus_per_task)->default_value(1),
      "CPUs of each array task (and of nothing else); it runs CPUs / train.threads trials at "
      "once")("time,t", po::value(&o.request.time),
              "time limit of each array task and of the merge, e.g. 2:00:00")(
      "mem", po::value(&o.request.mem),
      "memory of each array task, e.g. 4G (SLURM's units; a bare number is MiB); checked "
      "against the trials it runs at once")("partition,p", po::value(&o.request.partition),
                                            "partition to run in")(
      "account,A", po::value(&o.request.account), "account to charge")(
      "sbatch-arg", po::value(&o.request.sbatch_args)->composing(),
      "one more #SBATCH option for both jobs, e.g. --sbatch-arg=--qos=short or "
      "--sbatch-arg=--mail-type=END (repeatable)")(
      "retries", po::value(&o.retries)->default_value(0),
      "run a failed trial up to N more times within its task (not one whose training "
      "diverged: that is its result)")(
      "max-array-size", po::value(&o.max_array_size),
      "a lower limit than the site's MaxArraySize (from `scontrol show config`; 1001, SLURM's "
      "default, when scontrol cannot tell), e.g. a QOS's limit on jobs")(
      "force", po::bool_switch(&o.force),
      "reuse an output directory that holds another plan (as attnlab run --force)")(
      "submit", po::bool_switch(&o.submit),
      "submit both jobs with sbatch, print their ids, and exit");
  return options;
}

void refuse_bad_numbers(const SlurmOptions& o) {
  const auto at_least_one = [](const char* name, int64_t value) {
    if (value < 1)
      throw ConfigError(fmt::format("{}: found {}, expected a whole number >= 1", name, value));
  };
  at_least_one("--cpus-per-task", o.request.cpus_per_task);
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"--trials-per-task", o.trials_per_task},
        {"--array-size", o.array_size},
        {"--max-array-size", o.max_array_size}})
    if (value != kNotGiven) at_least_one(name, value);
  if (o.retries < 0)
    throw ConfigError(fmt::format("--retries: found {}, expected >= 0", o.retries));
}

// The limit on array indices and where it came from: the site's MaxArraySize
// (SLURM's default when scontrol cannot tell), lowered by --max-array-size.
std::pair<int64_t, std::string> max_array_size(const SlurmOptions& o) {
  std::pair<int64_t, std::string> limit{kSlurmDefaultMaxArraySize,
                                        "SLURM's default, as scontrol did not answer"};
  if (const std::optional<fs::path> scontrol = find_on_path("scontrol")) {
    const ProgramOutcome outcome =
        run_program({scontrol->string(), "show", "config"}, kSlurmQueryTime);
    if (outcome.succeeded())
      if (const std::optional<int64_t> found = max_array_size_from(outcome.output))
        limit = {*found, "scontrol show config"};
  }
  if (o.max_array_size > 0 && o.max_array_size < limit.first)
    limit = {o.max_array_size, "--max-array-size"};
  return limit;
}

// Each task runs `at_once` trials side by side: --mem must hold them all.
void check_task_memory(const SlurmOptions& o, const Experiment& experiment, int at_once) {
  if (o.request.mem.empty()) return;
  const double needed = experiment.largest_trial_bytes * at_once;
  const uint64_t given = slurm_memory_bytes(o.request.mem);
  if (needed > static_cast<double>(given))
    throw ConfigError(fmt::format(
        "--mem {}: each array task runs {} trial(s) at once, and the largest needs about {}: "
        "{} in all; raise --mem, or lower --cpus-per-task to run fewer at once",
        o.request.mem, at_once, format_bytes(experiment.largest_trial_bytes),
        format_bytes(needed)));
}

std::string this_program() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) throw IoError("cannot find the attnlab program's own path (/proc/self/exe)");
  return self.string();
}

// Everything the scripts name, packed within `limit`; ConfigError for what a
// batch script cannot carry.
SlurmSweep sweep_of(const SlurmOptions& o, const Experiment& experiment, int64_t limit,
                    int at_once) {
  SlurmSweep sweep;
  sweep.program = this_program();
  sweep.experiment = experiment.name;
  const OutputLayout absolute(fs::absolute(experiment.output_dir).lexically_normal());
  sweep.output_dir = absolute.dir().string();
  sweep.plan = absolute.plan().string();
  sweep.logs = absolute.slurm_logs().string();
  sweep.fingerprint = plan_fingerprint(experiment);
  sweep.trials = static_cast<int64_t>(experiment.trials.size());
  sweep.packing = pack_trials(sweep.trials, std::max<int64_t>(o.trials_per_task, 0),
                              std::max<int64_t>(o.array_size, 0), limit, at_once);
  sweep.request = o.request;
  sweep.retries = o.retries;
  check_scriptable(sweep);
  return sweep;
}

// The trials a submission must run (missing or failed: not running, which
// their runs will finish, nor diverged, a result), and how many run now.
struct Unfinished {
  std::vector<int64_t> to_run;
  int64_t running = 0;
};

Unfinished unfinished_trials(const OutputLayout& layout) {
  Unfinished left;
  for (const TrialState& state : read_run_status(layout, std::time(nullptr)).trials)
    if (state.kind == TrialState::Kind::running)
      ++left.running;
    else if (state.kind == TrialState::Kind::missing || state.kind == TrialState::Kind::failed)
      left.to_run.push_back(state.index);
  return left;
}

// A task with fewer CPUs than its trials' threads would oversubscribe them.
void refuse_too_few_cpus(int cpus, const std::vector<const Trial*>& trials) {
  for (const Trial* trial : trials)
    if (const ConfigNode* threads = trial->config.at_path("train.threads");
        threads != nullptr && std::stoi(threads->text()) > cpus)
      throw ConfigError(fmt::format(
          "--cpus-per-task {}: trial #{} ({}) trains with train.threads = {}; give each task at "
          "least that many CPUs",
          cpus, trial->index, trial->arm, threads->text()));
}

std::string submit(const fs::path& sbatch, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{sbatch.string(), "--parsable"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const ProgramOutcome outcome = run_program(argv, kSlurmCommandTime);
  if (!outcome.succeeded())
    throw Error(fmt::format("sbatch {} failed: {}", arguments.back(), failure_text(outcome)));
  return job_id_from_sbatch(outcome.output);
}

// The array, recorded at once, then the merge after it; a failure names what
// was submitted and what to do.
void submit_both(const fs::path& sbatch, const OutputLayout& layout, const SlurmSweep& sweep) {
  const int64_t tasks = sweep.tasks_to_run.empty()
                            ? sweep.packing.tasks
                            : static_cast<int64_t>(sweep.tasks_to_run.size());
  const std::string array_job = submit(sbatch, {layout.slurm_array_script().string()});
  record_array(layout, array_job, tasks, sweep.packing.tasks);
  std::string merge_job;
  try {
    merge_job = submit(
        sbatch, {"--dependency=afterany:" + array_job, layout.slurm_merge_script().string()});
  } catch (const Error& e) {
    throw Error(fmt::format(
        "{}\nthe array job {} was submitted and will run (recorded in {}); once the cause is "
        "fixed, submit the merge by hand: sbatch --dependency=afterany:{} {} (or cancel the "
        "array: scancel {})",
        e.what(), array_job, layout.slurm_jobs().string(), array_job,
        layout.slurm_merge_script().string(), array_job));
  }
  record_merge(layout, merge_job, array_job);
  fmt::print(
      "submitted: array job {} ({} task{}), merge job {} (after the array ends)\n"
      "follow it:  attnlab status {} --slurm      squeue -j {},{}\n"
      "logs:       {}\n",
      array_job, tasks, tasks == 1 ? "" : "s", merge_job, layout.dir().string(), array_job,
      merge_job, layout.slurm_logs().string());
}

}  // namespace

int run_slurm(const std::vector<std::string>& arguments) {
  SlurmOptions o;
  ExperimentArguments parsed = parse_experiment_arguments("slurm", arguments, describe(o));
  if (parsed.help) return 0;
  refuse_bad_numbers(o);
  std::optional<fs::path> sbatch;
  if (o.submit && !(sbatch = find_on_path("sbatch")))
    throw ConfigError(
        "--submit: sbatch is not on PATH; run this on a SLURM login node, or leave out --submit "
        "and submit the scripts written there by hand");
  // The compute nodes' memory is not this machine's: checked against --mem below.
  if (parsed.limits.memory_bytes == 0) parsed.limits.memory_bytes = UINT64_MAX;
  const Experiment experiment = load(parsed);
  const OutputLayout layout(experiment.output_dir);
  std::vector<const Trial*> trials;
  for (const Trial& trial : experiment.trials) trials.push_back(&trial);
  const int cpus = static_cast<int>(o.request.cpus_per_task);
  const int at_once = default_jobs(cpus, trials);
  refuse_too_few_cpus(cpus, trials);
  check_task_memory(o, experiment, at_once);
  const auto [limit, limit_source] = max_array_size(o);
  SlurmSweep sweep = sweep_of(o, experiment, limit, at_once);

  // Held until the jobs are submitted: no --force of another plan meanwhile.
  const std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, o.force);
  const Unfinished left = unfinished_trials(layout);
  if (!left.to_run.empty() && static_cast<int64_t>(left.to_run.size()) < sweep.trials)
    sweep.tasks_to_run = tasks_holding(left.to_run, sweep.packing.tasks);
  prepare_output_folder(layout.slurm());
  prepare_output_folder(layout.slurm_logs());  // before sbatch: SLURM cannot create it
  write_file_atomically(layout.slurm_array_script(), array_script(sweep));
  write_file_atomically(layout.slurm_merge_script(), merge_script(sweep));
  fmt::print(
      "experiment {}: {} trials in {} array tasks of at most {} (MaxArraySize {}: {}), {} at "
      "once in each\nwrote {} and {}\n",
      experiment.name, sweep.trials, sweep.packing.tasks, sweep.packing.trials_per_task, limit,
      limit_source, at_once, layout.slurm_array_script().string(),
      layout.slurm_merge_script().string());
  if (left.to_run.empty()) {
    fmt::print("{}: nothing to submit ({})\n",
               left.running > 0
                   ? fmt::format("the {} unfinished trials are running now", left.running)
                   : "every trial of the plan has finished or diverged",
               fmt::format("attnlab status {} follows them; attnlab merge {} writes the results",
                           layout.dir().string(), layout.dir().string()));
    return 0;
  }
  if (!sweep.tasks_to_run.empty())
    fmt::print("{} trials are left{}: this array runs only task(s) {}, which hold them\n",
               left.to_run.size(),
               left.running > 0 ? fmt::format(" ({} more are running)", left.running) : "",
               array_indices(sweep.tasks_to_run));
  if (!o.submit) {
    fmt::print(
        "submit them with:\n  job=$(sbatch --parsable {})\n  sbatch "
        "--dependency=afterany:$job {}\n",
        layout.slurm_array_script().string(), layout.slurm_merge_script().string());
    return 0;
  }
  submit_both(*sbatch, layout, sweep);
  return 0;
}

}  // namespace attnlab::cli
