// Reading a file that may be damaged, in a child process with a time limit.
// HDF5 is not robust against damage: a flipped bit in a global heap made it
// loop forever, and damaged files have been seen to crash it. A trial file is
// therefore read in a forked child; a hang, a crash or an exception there is
// an IoError here, and this process never parses the damaged bytes.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace attnlab {

/// Runs `read` in a forked child and returns the text it returns. Throws IoError
/// naming `what` if it throws (with its message), crashes, or runs past `timeout`.
std::string read_isolated(const std::function<std::string()>& read, const std::string& what,
                          std::chrono::seconds timeout);

}  // namespace attnlab
