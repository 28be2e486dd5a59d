// `attnlab slurm EXPERIMENT.yaml [options] [--submit]`: the experiment as a
// SLURM job array that packs its trials, plus a merge job after it, written
// into the output directory (and submitted with --submit). attnlab then
// exits: SLURM runs the jobs, `attnlab status` follows them (docs/cluster.md).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "attnlab/cluster/slurm_job.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/process/external_program.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "commands.hpp"
#include "experiment_arguments.hpp"
#include "slurm_jobs.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

constexpr std::chrono::seconds kSlurmCommandTime{60};

struct SlurmOptions {
  int64_t trials_per_task = 0, array_size = 0, max_array_size = 0;
  SlurmRequest request;
  bool submit = false, force = false;
};

po::options_description describe(SlurmOptions& o) {
  po::options_description options("slurm options");
  options.add_options()("trials-per-task", po::value(&o.trials_per_task),
                        "trials each array task runs (default: as many as its CPUs run at once, "
                        "more if the site's MaxArraySize asks)")(
      "array-size", po::value(&o.array_size), "array tasks to spread the trials over")(
      "cpus-per-task,c", po::value(&o.request.cpus_per_task)->default_value(1),
      "CPUs of each array task; it runs CPUs / train.threads trials at once")(
      "time,t", po::value(&o.request.time), "time limit of each array task, e.g. 2:00:00")(
      "mem", po::value(&o.request.mem), "memory of each array task, e.g. 4G")(
      "partition,p", po::value(&o.request.partition), "partition to run in")(
      "account,A", po::value(&o.request.account), "account to charge")(
      "sbatch-arg", po::value(&o.request.sbatch_args)->composing(),
      "one more #SBATCH option for the array, e.g. --sbatch-arg=--qos=short (repeatable)")(
      "max-array-size", po::value(&o.max_array_size),
      "the site's MaxArraySize when `scontrol show config` cannot tell it (default 1001, "
      "SLURM's own)")("force", po::bool_switch(&o.force),
                      "reuse an output directory that holds another plan (as attnlab run --force)")(
      "submit", po::bool_switch(&o.submit),
      "submit both jobs with sbatch, print their ids, and exit");
  return options;
}

// The site's MaxArraySize and where it came from.
std::pair<int64_t, std::string> max_array_size(const SlurmOptions& o) {
  if (o.max_array_size > 0) return {o.max_array_size, "--max-array-size"};
  if (const std::optional<fs::path> scontrol = find_on_path("scontrol")) {
    const ProgramOutcome outcome =
        run_program({scontrol->string(), "show", "config"}, kSlurmCommandTime);
    if (outcome.succeeded())
      if (const std::optional<int64_t> found = max_array_size_from(outcome.output))
        return {*found, "scontrol show config"};
  }
  return {kSlurmDefaultMaxArraySize,
          "SLURM's default, as scontrol did not answer; --max-array-size sets it"};
}

std::string this_program() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) throw IoError("cannot find the attnlab program's own path (/proc/self/exe)");
  return self.string();
}

std::string submit(const fs::path& sbatch, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{sbatch.string(), "--parsable"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const ProgramOutcome outcome = run_program(argv, kSlurmCommandTime);
  if (!outcome.succeeded())
    throw Error(fmt::format("sbatch {} failed: {}", arguments.back(), failure_text(outcome)));
  return job_id_from_sbatch(outcome.output);
}

}  // namespace

int run_slurm(const std::vector<std::string>& arguments) {
  SlurmOptions o;
  const ExperimentArguments parsed = parse_experiment_arguments("slurm", arguments, describe(o));
  if (parsed.help) return 0;
  if (o.request.cpus_per_task < 1) throw ConfigError("--cpus-per-task must be >= 1");
  std::optional<fs::path> sbatch;
  if (o.submit && !(sbatch = find_on_path("sbatch")))
    throw ConfigError(
        "--submit: sbatch is not on PATH; run this on a SLURM login node, or leave out --submit "
        "and submit the scripts written there by hand");
  const Experiment experiment = load(parsed);
  const OutputLayout layout(experiment.output_dir);
  std::vector<const Trial*> trials;
  for (const Trial& trial : experiment.trials) trials.push_back(&trial);
  const auto [limit, limit_source] = max_array_size(o);
  SlurmSweep sweep{
      this_program(),
      experiment.name,
      fs::absolute(layout.dir()).lexically_normal().string(),
      "",
      plan_fingerprint(experiment),
      "",
      static_cast<int64_t>(experiment.trials.size()),
      pack_trials(static_cast<int64_t>(trials.size()), o.trials_per_task, o.array_size, limit,
                  default_jobs(static_cast<int>(o.request.cpus_per_task), trials)),
      o.request};
  const OutputLayout absolute(sweep.output_dir);
  sweep.plan = absolute.plan().string();
  sweep.logs = absolute.slurm_logs().string();
  check_scriptable(sweep);

  prepare_output_directory(experiment, layout, o.force);  // the plan, checked and written
  prepare_output_folder(layout.slurm());
  prepare_output_folder(layout.slurm_logs());  // before sbatch: SLURM cannot create it
  write_file_atomically(layout.slurm_array_script(), array_script(sweep));
  write_file_atomically(layout.slurm_merge_script(), merge_script(sweep));
  fmt::print(
      "experiment {}: {} trials in {} array tasks of at most {} (MaxArraySize {}: {})\n"
      "wrote {} and {}\n",
      experiment.name, sweep.trials, sweep.packing.tasks, sweep.packing.trials_per_task, limit,
      limit_source, layout.slurm_array_script().string(), layout.slurm_merge_script().string());
  if (!o.submit) {
    fmt::print(
        "submit them with:\n  job=$(sbatch --parsable {})\n  sbatch "
        "--dependency=afterany:$job {}\n",
        layout.slurm_array_script().string(), layout.slurm_merge_script().string());
    return 0;
  }
  const std::string array_job = submit(*sbatch, {layout.slurm_array_script().string()});
  const std::string merge_job =
      submit(*sbatch, {"--dependency=afterany:" + array_job, layout.slurm_merge_script().string()});
  record_submission(layout, array_job, merge_job, sweep.packing.tasks);
  fmt::print(
      "submitted: array job {} ({} tasks), merge job {} (after the array ends)\n"
      "follow it:  attnlab status {} --slurm      squeue -j {},{}\n"
      "logs:       {}\n",
      array_job, sweep.packing.tasks, merge_job, layout.dir().string(), array_job, merge_job,
      layout.slurm_logs().string());
  return 0;
}

}  // namespace attnlab::cli
