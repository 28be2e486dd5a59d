// Who runs a trial now: trials/<id>.running names the host, the process, the
// job (a SLURM array task, an MPI rank) and since when, so that `attnlab status`
// can say it from the output directory alone. Whether that holder is still
// alive is the claim lock's to say (ClaimsProbe), not this file's: a killed
// run leaves its file behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace attnlab {

struct TrialHolder {
  std::string host;
  int64_t pid = 0;
  std::string job;    // "SLURM job 12_3", "MPI rank 2", or ""
  int64_t since = 0;  // Unix time, seconds
};

/// This process, now; its job from SLURM's and MPI's environment variables.
TrialHolder this_process_as_holder();

std::string holder_yaml(const TrialHolder& holder);

/// The holder written at `path`; nullopt if there is none or it cannot be read
/// (a holder is advice for people: a damaged one is not an error).
std::optional<TrialHolder> read_holder(const std::filesystem::path& path);

/// "host vm, pid 1234, SLURM job 12_3, since 2026-12-06 09:10:02 UTC (5 min)".
std::string describe_holder(const TrialHolder& holder, int64_t now);

}  // namespace attnlab
