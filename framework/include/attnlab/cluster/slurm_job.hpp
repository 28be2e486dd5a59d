// A sweep as a SLURM job array: how the plan's trials are packed into array
// tasks within the site's MaxArraySize, and the text of the two batch scripts
// `attnlab slurm` writes (the array, and the merge that runs after it). Pure:
// nothing here runs SLURM or touches the disk (docs/cluster.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

/// SLURM's own default MaxArraySize (array indices 0 .. 1000).
inline constexpr int64_t kSlurmDefaultMaxArraySize = 1001;

/// How many array tasks, each running how many trials of the plan.
struct ArrayPacking {
  int64_t tasks = 1;
  int64_t trials_per_task = 1;
};

/// Packs `trials` into array tasks numbered 1..tasks, so every index stays
/// below `max_array_size`. Give at most one of `trials_per_task` and
/// `array_size` (0: not given); with neither, a task runs `trials_at_once`
/// trials (one wave on its CPUs) unless the limit asks for more. ConfigError
/// when what was asked does not fit the limit.
ArrayPacking pack_trials(int64_t trials, int64_t trials_per_task, int64_t array_size,
                         int64_t max_array_size, int64_t trials_at_once);

/// MaxArraySize from `scontrol show config` output; nullopt if it is not there.
std::optional<int64_t> max_array_size_from(const std::string& scontrol_config);

/// Bytes of a SLURM memory size ("4G", "500M", "4000": MiB without a unit;
/// K, M, G, T binary). ConfigError naming --mem otherwise.
uint64_t slurm_memory_bytes(const std::string& text);

/// The job id in `sbatch --parsable` output ("123" or "123;cluster").
/// Error quoting the output if there is none.
std::string job_id_from_sbatch(const std::string& output);

struct SlurmRequest {
  std::string time, mem, partition, account;  // "" = the site's default
  int64_t cpus_per_task = 1;
  std::vector<std::string> sbatch_args;  // extra #SBATCH lines of both jobs, e.g. "--qos=short"
};

/// Everything the scripts name: the program, the experiment and where it goes.
struct SlurmSweep {
  std::string program;     // absolute path of attnlab
  std::string experiment;  // its name
  std::string output_dir;  // absolute
  std::string plan;        // OUTPUT_DIR/plan.yaml
  std::string fingerprint;
  std::string logs;  // folder of the jobs' logs
  int64_t trials = 0;
  ArrayPacking packing;
  SlurmRequest request;
  /// The array tasks this submission runs (1-based; empty: all of them).
  std::vector<int64_t> tasks_to_run;
  int64_t retries = 0;  // extra runs of a failed trial within its task
};

/// The array tasks (1..tasks) whose shares hold any of the plan indices
/// `trial_indices` (task i runs the trials whose index is i-1 modulo tasks).
std::vector<int64_t> tasks_holding(const std::vector<int64_t>& trial_indices, int64_t tasks);

/// SLURM's --array list for `tasks` (sorted): "1-3,7,9-10".
std::string array_indices(const std::vector<int64_t>& tasks);

/// ConfigError if a path or an argument cannot stand in a batch script's
/// #SBATCH line (whitespace, quotes, '#' that ends it, '%' that SLURM expands),
/// or an --sbatch-arg sets what attnlab sets itself (--array, --output,
/// --dependency, --job-name, in any spelling sbatch accepts).
void check_scriptable(const SlurmSweep& sweep);

/// The job array: task i runs share i/tasks of the plan, resuming it.
std::string array_script(const SlurmSweep& sweep);
/// The merge, submitted to run after the array (afterany) whatever became of
/// it; with the array's time limit, partition, account and --sbatch-arg lines.
std::string merge_script(const SlurmSweep& sweep);

}  // namespace attnlab
