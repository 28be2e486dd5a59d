// Whether an MPI launcher started this process, from the variables launchers set
// (OpenMPI's mpirun, MPICH's and Intel's hydra, PMIx, SLURM's srun --mpi). A
// build without MPI uses it to refuse to run as many copies of one run.
#include <fmt/format.h>

#include <cstdlib>

#include "attnlab/error.hpp"
#include "run_command.hpp"

namespace attnlab::cli {

int mpi_ranks_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    char* end = nullptr;
    const long ranks = std::strtol(value, &end, 10);
    if (end != value && *end == '\0' && ranks > 0 && ranks < 1 << 24)
      return static_cast<int>(ranks);
  }
  return 1;
}

#ifndef ATTNLAB_HAVE_MPI
int run_across_ranks(const ExperimentArguments&, const RunOptions&, int64_t, int64_t) {
  throw ConfigError(fmt::format(
      "attnlab runs here as one of {} MPI processes, but this build has no MPI: each would run "
      "the whole plan. Build attnlab with MPI (Debian: apt-get install libboost-mpi-dev "
      "openmpi-bin, then cmake again; it is on when found), or run it without mpirun",
      mpi_ranks_from_environment()));
}
#endif

}  // namespace attnlab::cli
