// `attnlab merge OUTPUT_DIR [--expect-plan FINGERPRINT]`: results.{h5,csv,md}
// from the trial files in the directory, whoever wrote them (shares of a job
// array, MPI ranks, hosts sharing the folder). Idempotent, and safe while
// writers still run: trial files are published whole, and the results are
// written under the directory's results lock. Exit 0 when every trial of the
// plan finished, 3 when some have not (they are listed), 1 on an error.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/run_status.hpp"
#include "attnlab/run/tuning.hpp"
#include "commands.hpp"
#include "directory_arguments.hpp"
#include "run_state_listing.hpp"
#include "slurm_jobs.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

struct MergeOptions {
  std::string expected_plan;
  bool all = false, quiet = false;
};

po::options_description describe(MergeOptions& o) {
  po::options_description options("merge options");
  options.add_options()(
      "expect-plan", po::value(&o.expected_plan),
      "refuse to merge unless the directory holds this plan (its fingerprint in plan.yaml; "
      "the merge job of `attnlab slurm` passes it)")(
      "all", po::bool_switch(&o.all), "list every running, diverged, failed and missing trial")(
      "quiet,q", po::bool_switch(&o.quiet), "leave out the results table and the conclusion");
  return options;
}

void refuse_other_plan_in(const OutputLayout& layout, const std::string& expected) {
  if (expected.empty()) return;
  const Experiment plan = read_plan(layout);
  if (plan_fingerprint(plan) != expected)
    throw ConfigError(fmt::format(
        "{} holds plan {} of experiment '{}', not plan {} that this merge was asked for (the "
        "directory was given to another experiment, e.g. with --force); nothing was merged",
        layout.dir().string(), plan_fingerprint(plan), plan.name, expected));
}

// Trial files in trials/ that belong to no trial of the plan (copied in by
// hand, or left by another experiment): never merged, and said.
std::vector<std::string> strangers(const Experiment& experiment, const OutputLayout& layout) {
  std::set<std::string> ids;
  for (const Trial& trial : experiment.trials) ids.insert(trial.id);
  std::vector<std::string> found;
  std::error_code absent;
  if (!fs::is_directory(layout.trials(), absent)) return found;
  for (const auto& entry : fs::directory_iterator(layout.trials())) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".h5" && !is_temporary_name(name) &&
        !ids.count(entry.path().stem().string()))
      found.push_back(name);
  }
  return found;
}

}  // namespace

int run_merge(const std::vector<std::string>& arguments) {
  MergeOptions o;
  const DirectoryArguments parsed = parse_directory_arguments(
      "merge", arguments, describe(o),
      "Exit status: 0 when every trial of the plan finished or diverged, 3 when some have "
      "not, 1 on an error, 2 on a bad option.");
  if (parsed.help) return 0;
  const OutputLayout layout(parsed.dir);
  refuse_other_plan_in(layout, o.expected_plan);
  ValidationLimits limits;  // what the trials needed was checked before they ran
  limits.memory_bytes = std::numeric_limits<uint64_t>::max();
  limits.read_initial_weights = false;  // nothing trains: a removed init_from file is no matter
  const Experiment experiment = planned_experiment(layout, limits);
  const std::unique_ptr<RunLock> held = hold_output_directory(experiment, layout);
  const std::vector<TrialSummary> summaries = update_results(experiment, layout);
  const RunStatus status =
      run_status_from(experiment, summaries, layout, static_cast<int64_t>(std::time(nullptr)));
  if (!o.quiet) {
    fmt::print("{}{}\n\n", results_table(experiment, summaries), results_table_key(experiment));
    if (const std::string tuning = tuning_table(experiment, summaries); !tuning.empty())
      fmt::print("{}\n", tuning);
    if (const std::string conclusion = conclusion_text(experiment, summaries); !conclusion.empty())
      fmt::print("conclusion, computed from these figures:\n{}\n", conclusion);
  }
  const int64_t merged = status.count(TrialState::Kind::finished);
  fmt::print("merged {} of {} trials into {}/results.{{h5,csv,md}}; {}\n", merged, summaries.size(),
             layout.dir().string(), state_counts(status));
  fmt::print("{}{}", state_listing(status, layout, o.all ? 0 : 20),
             resubmission_hint(layout, status));
  if (const std::vector<std::string> others = strangers(experiment, layout); !others.empty())
    fmt::print("not of this plan, left alone: {} file(s) in {}, e.g. {}\n", others.size(),
               layout.trials().string(), others.front());
  if (status.complete()) {
    fmt::print("{}; the tables: {} (attnlab compare {} --baseline ARM)\n", completion_text(status),
               layout.results_md().string(), layout.dir().string());
    return 0;
  }
  std::fflush(stdout);
  fmt::print(stderr, "attnlab merge: {} of {} trials have not finished\n",
             summaries.size() - static_cast<std::size_t>(merged) -
                 static_cast<std::size_t>(status.count(TrialState::Kind::diverged)),
             summaries.size());
  return 3;
}

}  // namespace attnlab::cli
