// The SLURM jobs `attnlab slurm --submit` submitted for an output directory
// (OUTPUT_DIR/slurm/jobs.txt), and what SLURM says of them in one query.
#pragma once

#include <string>

#include "attnlab/io/output_layout.hpp"

namespace attnlab::cli {

/// Appends a submission (the array's and the merge's job ids) to the record.
void record_submission(const OutputLayout& layout, const std::string& array_job,
                       const std::string& merge_job, int64_t tasks);

/// What SLURM says of every recorded job, asked once: sacct, or squeue where
/// the cluster keeps no accounting. Lines of text; never throws for SLURM's
/// own failures (they are said in the text).
std::string slurm_job_states(const OutputLayout& layout);

}  // namespace attnlab::cli
