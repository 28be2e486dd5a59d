// Reading a file that may be damaged, in a child process with a time limit.
// HDF5 is not robust against damage: a flipped bit in a global heap made it
// loop forever, and damaged files have been seen to crash it. A trial file is
// therefore read in a forked child; a hang, a crash or an exception there is
// an IoError here, and this process never parses the damaged bytes.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "attnlab/error.hpp"

namespace attnlab {

/// What reading a file found: the file is damaged (it made the reader throw an
/// attnlab error, crash, or spin past its CPU time), as opposed to a failure of
/// the machine (no process or pipe to be had, memory exhausted, a stalled disk).
class DamagedFile : public IoError {
 public:
  using IoError::IoError;
};

/// Runs `read` in a forked child (which dies with this process and holds none of
/// its descriptors) and returns the text it returns. Throws DamagedFile naming
/// `what` if the child throws an attnlab::Error (with its message), crashes, or
/// uses more than `cpu_time`; IoError for any other failure, including a child
/// that neither ends nor spins for ten times that long.
std::string read_isolated(const std::function<std::string()>& read, const std::string& what,
                          std::chrono::seconds cpu_time);

}  // namespace attnlab
