// The arguments of the commands that take an output directory (status, merge):
// the directory, their own options, and the refusal of anything that is not
// an output directory, with what to give instead.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace attnlab::cli {

struct DirectoryArguments {
  std::string dir;
  bool help = false;
};

/// Parses `attnlab COMMAND OUTPUT_DIR [options]` with `options`; prints them
/// and `exit_note` when asked. ConfigError for a missing directory, a file
/// (naming the folder to give when it is a plan.yaml), or a path that does not exist.
DirectoryArguments parse_directory_arguments(const std::string& command,
                                             const std::vector<std::string>& arguments,
                                             boost::program_options::options_description options,
                                             const std::string& exit_note);

}  // namespace attnlab::cli
