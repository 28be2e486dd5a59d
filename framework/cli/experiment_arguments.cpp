#include "experiment_arguments.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "attnlab/error.hpp"
#include "attnlab/run/plan_file.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

ExperimentArguments parse_experiment_arguments(const std::string& command,
                                               const std::vector<std::string>& arguments,
                                               po::options_description extra) {
  ExperimentArguments parsed;
  std::string memory_limit;
  po::options_description options(
      fmt::format("attnlab {} [EXPERIMENT.yaml] [options]\n(without a file: the built-in default "
                  "experiment)",
                  command));
  options.add_options()("help,h", "show this text")(
      "override,o", po::value(&parsed.overrides)->composing(),
      "set a dotted key to a YAML value, e.g. -o model.d_model=64 -o seeds=3 (repeatable)")(
      "memory-limit", po::value(&memory_limit),
      "memory one trial may need, e.g. 4G (default: the memory available now); a trial "
      "estimated above it is refused before anything runs");
  options.add(extra);
  parsed.help = parse_with_positional(arguments, options, parsed.file);
  if (parsed.help) return parsed;
  if (!memory_limit.empty())
    parsed.limits.memory_bytes = parse_byte_size(memory_limit, "--memory-limit");
  return parsed;
}

Experiment load(const ExperimentArguments& arguments) {
  if (arguments.file.empty()) return default_experiment(arguments.overrides, arguments.limits);
  const OutputLayout named_by_plan(std::filesystem::absolute(arguments.file).parent_path());
  if (std::filesystem::path(arguments.file).filename() == named_by_plan.plan().filename() &&
      is_plan_file(arguments.file)) {
    if (!arguments.overrides.empty())
      throw ConfigError(fmt::format(
          "{}: a plan runs as it was planned, and -o {} would change it; give the experiment "
          "file instead",
          arguments.file, arguments.overrides.front()));
    return planned_experiment(named_by_plan, arguments.limits);
  }
  return load_experiment(arguments.file, arguments.overrides, arguments.limits);
}

}  // namespace attnlab::cli
