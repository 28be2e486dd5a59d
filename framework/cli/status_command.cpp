// `attnlab status OUTPUT_DIR [--slurm] [--all]`: where a run stands, from the
// output directory alone (docs/cluster.md). Exit 0 when every trial finished
// or diverged, 3 when some have not, 1 on an error.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <ctime>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/run/run_status.hpp"
#include "commands.hpp"
#include "directory_arguments.hpp"
#include "json_text.hpp"
#include "run_state_listing.hpp"
#include "slurm_jobs.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

std::string status_json(const RunStatus& status, const OutputLayout& layout) {
  using Kind = TrialState::Kind;
  std::string text =
      fmt::format("{{\"experiment\": {}, \"output\": {}, \"complete\": {}, \"counts\": {{",
                  json_string(status.plan.name), json_string(layout.dir().string()),
                  status.complete() ? "true" : "false");
  for (const Kind kind :
       {Kind::finished, Kind::diverged, Kind::failed, Kind::running, Kind::missing})
    text += fmt::format("{}{}: {}", kind == Kind::finished ? "" : ", ",
                        json_string(to_string(kind)), status.count(kind));
  text += fmt::format(", \"trials\": {}}}, \"trials\": [", status.trials.size());
  for (std::size_t i = 0; i < status.trials.size(); ++i) {
    const TrialState& t = status.trials[i];
    text += fmt::format(
        "{}\n  {{\"index\": {}, \"id\": {}, \"arm\": {}, \"seed\": {}, \"state\": {}, \"detail\": "
        "{}}}",
        i == 0 ? "" : ",", t.index, json_string(t.id), json_string(t.arm), t.seed,
        json_string(to_string(t.kind)), json_string(t.detail));
  }
  return text + "\n]}\n";
}

}  // namespace

int run_status(const std::vector<std::string>& arguments) {
  bool slurm = false, all = false, json = false;
  po::options_description options("status options");
  options.add_options()("slurm", po::bool_switch(&slurm),
                        "also ask SLURM, in one query, about the latest jobs `attnlab slurm "
                        "--submit` recorded")(
      "all", po::bool_switch(&all), "list every running, diverged, failed and missing trial")(
      "json", po::bool_switch(&json),
      "print every trial's state as JSON (for scripts; --slurm is not included)");
  const DirectoryArguments parsed =
      parse_directory_arguments("status", arguments, options,
                                "Exit status: 0 when every trial finished (or diverged: a result "
                                "too), 3 when some have not, 1 on an error, 2 on a "
                                "bad option.");
  if (parsed.help) return 0;
  const OutputLayout layout(parsed.dir);
  const RunStatus status = read_run_status(layout, static_cast<int64_t>(std::time(nullptr)));
  if (json) {
    fmt::print("{}", status_json(status, layout));
    return status.complete() ? 0 : 3;
  }
  fmt::print("experiment {} in {}: {}\n", status.plan.name, layout.dir().string(),
             state_counts(status));
  fmt::print("{}{}", state_listing(status, layout, all ? 0 : 20),
             resubmission_hint(layout, status));
  if (slurm) fmt::print("{}", slurm_job_states(layout));
  if (status.complete()) fmt::print("{}\n", completion_text(status));
  return status.complete() ? 0 : 3;
}

}  // namespace attnlab::cli
