// Running another program (a plotting tool, sbatch, scontrol, sacct) without a
// shell: its stdout and stderr kept apart, its time bounded, and it dies with
// this process so that a stopped command leaves nothing running behind.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct ProgramOutcome {
  int status = 0;  // as waitpid reports it
  std::string output, errors;
  bool timed_out = false;  // killed after its wall time
  bool succeeded() const;
};

/// Runs argv (argv[0] a path) and waits for it, at most `wall_time` if it is
/// above zero (then SIGKILL). IoError if it cannot be started.
ProgramOutcome run_program(const std::vector<std::string>& argv,
                           std::chrono::seconds wall_time = std::chrono::seconds(0));

/// Why a program that did not succeed failed, in one phrase: its stderr, its
/// signal, its exit status, or that it ran out of time.
std::string failure_text(const ProgramOutcome& outcome);

/// `name` as the shell would find it on PATH; nullopt when it is not there.
std::optional<std::filesystem::path> find_on_path(const std::string& name);

}  // namespace attnlab
