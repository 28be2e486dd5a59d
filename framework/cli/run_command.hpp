// What `attnlab run` in one process and across MPI ranks share: its options,
// how it announces the work, shows progress, and writes and reports results.
#pragma once

#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "experiment_arguments.hpp"
#include "progress_display.hpp"

namespace attnlab::cli {

struct RunOptions {
  int jobs = 0;
  std::string shard;
  std::string expected_plan;  // refuse unless the experiment is this plan (fingerprint)
  bool force = false, quiet = false, verbose = false, no_results = false;
  SchedulerOptions scheduling;
};

/// ConfigError unless `expected` is "" or the experiment's plan fingerprint.
void refuse_other_plan(const Experiment& experiment, const std::string& expected);

void announce(const Experiment& experiment, const OutputLayout& layout,
              const TrialSelection& selection, int64_t share, int64_t shares, int jobs);
ProgressDisplay::Mode display_mode(const RunOptions& options);

/// After the trials: results.* (unless --no-results), the table, the
/// conclusion and the failures; returns the run's exit code.
int finish_run(const Experiment& experiment, const OutputLayout& layout, const RunOptions& options,
               int64_t share, int64_t shares, int64_t selected, int64_t failures, bool interrupted);

/// How many processes an MPI launcher (mpirun, srun) started in this job, as its
/// environment tells them; 1 when none did.
int mpi_ranks_from_environment();

/// `attnlab run` across the ranks of an MPI job: rank 0 hands the trials out,
/// longest first, as ranks free up; each rank runs its trials in its own
/// workers and writes their files; rank 0 writes the results. ConfigError in a
/// build without MPI.
int run_across_ranks(const ExperimentArguments& parsed, const RunOptions& options, int64_t share,
                     int64_t shares);

}  // namespace attnlab::cli
