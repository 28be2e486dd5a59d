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
#include "attnlab/run/plan_file.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/run_status.hpp"
#include "commands.hpp"
#include "run_state_listing.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

struct MergeOptions {
  std::string dir, expected_plan;
  bool all = false, quiet = false;
};

MergeOptions parse(const std::vector<std::string>& arguments, bool& help) {
  MergeOptions o;
  po::options_description options("attnlab merge OUTPUT_DIR [options]");
  options.add_options()("help,h", "show this text")(
      "expect-plan", po::value(&o.expected_plan),
      "refuse to merge unless the directory holds this plan (its fingerprint in plan.yaml; "
      "the merge job of `attnlab slurm` passes it)")(
      "all", po::bool_switch(&o.all), "list every running, failed and missing trial")(
      "quiet,q", po::bool_switch(&o.quiet), "print only what is missing or failed");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&o.dir));
  po::options_description every;
  every.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(every).positional(positional).run(), values);
  help = values.count("help") > 0;
  if (help)
    std::cout << options << "\n"
              << "Exit status: 0 when every trial of the plan finished, 3 when some have not.\n";
  po::notify(values);
  return o;
}

void refuse_other_input(const MergeOptions& o, const OutputLayout& layout) {
  if (o.dir.empty()) throw ConfigError("attnlab merge: give the output directory, e.g. runs/heads");
  if (fs::is_regular_file(o.dir))
    throw ConfigError(fmt::format(
        "attnlab merge: {} is a file; merge takes the output directory a run wrote (the "
        "experiment's output:, e.g. runs/NAME)",
        o.dir));
  if (o.expected_plan.empty()) return;
  const Experiment plan = read_plan(layout);
  if (plan_fingerprint(plan) != o.expected_plan)
    throw ConfigError(fmt::format(
        "{} holds plan {} of experiment '{}', not plan {} that this merge was asked for (the "
        "directory was given to another experiment, e.g. with --force); nothing was merged",
        layout.dir().string(), plan_fingerprint(plan), plan.name, o.expected_plan));
}

// Trial files in trials/ that belong to no trial of the plan (copied in by
// hand, or left by another experiment): never merged, and said.
std::vector<std::string> strangers(const Experiment& experiment, const OutputLayout& layout) {
  std::set<std::string> ids;
  for (const Trial& trial : experiment.trials) ids.insert(trial.id);
  std::vector<std::string> found;
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
  bool help = false;
  const MergeOptions o = parse(arguments, help);
  if (help) return 0;
  const OutputLayout layout(o.dir);
  refuse_other_input(o, layout);
  ValidationLimits limits;  // what the trials needed was checked before they ran
  limits.memory_bytes = std::numeric_limits<uint64_t>::max();
  const Experiment experiment = planned_experiment(layout, limits);
  const std::vector<TrialSummary> summaries = update_results(experiment, layout);
  const RunStatus status = read_run_status(layout, static_cast<int64_t>(std::time(nullptr)));
  if (!o.quiet) {
    fmt::print("{}\n", results_table(experiment, summaries));
    if (const std::string conclusion = conclusion_text(experiment, summaries); !conclusion.empty())
      fmt::print("conclusion, computed from these figures:\n{}\n", conclusion);
  }
  int64_t merged = 0;
  for (const TrialSummary& summary : summaries) merged += summary.status == TrialStatus::finished;
  fmt::print("merged {} of {} trials into {}/results.{{h5,csv,md}}; now {}\n", merged,
             summaries.size(), layout.dir().string(), state_counts(status));
  fmt::print("{}", state_listing(status, layout, o.all ? 0 : 20));
  if (const std::vector<std::string> others = strangers(experiment, layout); !others.empty())
    fmt::print("not of this plan, left alone: {} file(s) in {}, e.g. {}\n", others.size(),
               layout.trials().string(), others.front());
  const bool complete = merged == static_cast<int64_t>(summaries.size());
  if (!complete)
    fmt::print(stderr, "attnlab merge: {} of {} trials have not finished\n",
               summaries.size() - merged, summaries.size());
  return complete ? 0 : 3;
}

}  // namespace attnlab::cli
