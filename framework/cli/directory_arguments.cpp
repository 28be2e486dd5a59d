#include "directory_arguments.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "attnlab/error.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

void refuse_non_directory(const std::string& command, const std::string& dir) {
  if (dir.empty())
    throw ConfigError(
        fmt::format("attnlab {}: give the output directory of a run, e.g. runs/heads", command));
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (!fs::exists(status))
    throw ConfigError(fmt::format("attnlab {}: {}: no such directory", command, dir));
  if (fs::is_directory(status)) return;
  const fs::path given(dir);
  throw ConfigError(fmt::format(
      "attnlab {}: {} is a file; {} takes the output directory a run wrote{}", command, dir,
      command,
      given.filename() == "plan.yaml"
          ? fmt::format(": {}", given.parent_path().empty() ? "." : given.parent_path().string())
          : " (the experiment's output:, e.g. runs/NAME)"));
}

}  // namespace

DirectoryArguments parse_directory_arguments(const std::string& command,
                                             const std::vector<std::string>& arguments,
                                             po::options_description options,
                                             const std::string& exit_note) {
  DirectoryArguments parsed;
  po::options_description described(fmt::format("attnlab {} OUTPUT_DIR [options]", command));
  described.add_options()("help,h", "show this text");
  described.add(options);
  parsed.help = parse_with_positional(arguments, described, parsed.dir, exit_note);
  if (!parsed.help) refuse_non_directory(command, parsed.dir);
  return parsed;
}

}  // namespace attnlab::cli
