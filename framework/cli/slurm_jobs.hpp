// The SLURM jobs `attnlab slurm --submit` submitted for an output directory
// (OUTPUT_DIR/slurm/jobs.txt), and what SLURM says of them in one query.
#pragma once

#include <string>

#include "attnlab/io/output_layout.hpp"
#include "attnlab/run/run_status.hpp"

namespace attnlab::cli {

/// Appends a submitted array (its job id, the tasks submitted, the shares of
/// the plan) to the record, as soon as sbatch answered.
void record_array(const OutputLayout& layout, const std::string& array_job, int64_t tasks,
                  int64_t shares);
/// Appends the merge submitted after `array_job`.
void record_merge(const OutputLayout& layout, const std::string& merge_job,
                  const std::string& array_job);

/// What SLURM says of the latest recorded submission (the array and its
/// merge), asked once: sacct, or squeue where the cluster keeps no accounting.
/// Lines of text; never throws for SLURM's own failures (they are said in the text).
std::string slurm_job_states(const OutputLayout& layout);

/// When a submission is recorded, no trial runs, and trials are missing or
/// failed: which array tasks hold them, and the commands that run them again.
/// "" otherwise.
std::string resubmission_hint(const OutputLayout& layout, const RunStatus& status);

}  // namespace attnlab::cli
