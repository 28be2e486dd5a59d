// `attnlab run [EXPERIMENT.yaml]`: every trial of the experiment, in parallel
// worker processes, resumable, then the results table (docs/experiments.md).
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "commands.hpp"
#include "experiment_arguments.hpp"
#include "progress_display.hpp"
#include "worker_pool.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

volatile std::sig_atomic_t signals_received = 0;

void count_signal(int) {
  signals_received = signals_received + 1;
}

struct RunOptions {
  int jobs = 0;
  std::string shard;
  bool force = false, quiet = false, verbose = false, fail_fast = false;
  int retries = 0;
};

po::options_description describe(RunOptions& o) {
  po::options_description options("run options");
  options.add_options()("jobs,j", po::value(&o.jobs)->default_value(0),
                        "trials run at once (0 = one per core)")(
      "shard", po::value(&o.shard),
      "run only share i of n (i/n, 1-based), e.g. for job arrays; shares partition the plan")(
      "force", po::bool_switch(&o.force),
      "reuse an output directory that holds another plan: its trials not in this plan are moved "
      "to superseded/")("retries", po::value(&o.retries)->default_value(0),
                        "run a failed trial up to N more times")(
      "fail-fast", po::bool_switch(&o.fail_fast), "stop everything at the first failure")(
      "quiet,q", po::bool_switch(&o.quiet), "print only failures and the results table")(
      "verbose,v", po::bool_switch(&o.verbose), "print progress more often");
  return options;
}

std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
  if (text.empty()) return {1, 1};
  const auto slash = text.find('/');
  if (slash != std::string::npos) {
    const auto share = parse_parameter_value(ParameterType::integer, text.substr(0, slash));
    const auto shares = parse_parameter_value(ParameterType::integer, text.substr(slash + 1));
    if (share && shares) {
      const int64_t i = std::get<int64_t>(*share), n = std::get<int64_t>(*shares);
      if (n >= 1 && i >= 1 && i <= n) return {i, n};
    }
  }
  throw ConfigError(fmt::format("--shard: found '{}', expected i/n with 1 <= i <= n, e.g. 2/4",
                                text));
}

std::string fingerprint(const Experiment& experiment) {
  std::string plan;
  for (const Trial& trial : experiment.trials)
    plan += fmt::format("{} {} {}\n", trial.index, trial.id, trial.arm);
  return config_hash(plan);
}

std::string plan_yaml(const Experiment& experiment) {
  ConfigNode plan = ConfigNode::map();
  plan.set("experiment", ConfigNode::scalar(experiment.name));
  plan.set("fingerprint", ConfigNode::scalar(fingerprint(experiment)));
  ConfigNode trials = ConfigNode::sequence();
  for (const Trial& trial : experiment.trials) {
    ConfigNode row = ConfigNode::map();
    row.set("index", ConfigNode::scalar(std::to_string(trial.index)));
    row.set("id", ConfigNode::scalar(trial.id));
    row.set("arm", ConfigNode::scalar(trial.arm));
    row.set("seed", ConfigNode::scalar(std::to_string(trial.seed)));
    trials.push_back(row);
  }
  plan.set("trials", trials);
  return to_yaml(plan);
}

// Moves what belongs to another plan out of the way (never deletes).
void supersede(const OutputLayout& layout, const Experiment& experiment) {
  std::set<std::string> ids;
  for (const Trial& trial : experiment.trials) ids.insert(trial.id);
  const fs::path aside =
      layout.dir() / "superseded" /
      fmt::format("{}", std::chrono::system_clock::now().time_since_epoch().count());
  fs::create_directories(aside / "trials");
  for (const auto& entry : fs::directory_iterator(layout.trials())) {
    const std::string name = entry.path().filename().string();
    if (!ids.count(name.substr(0, name.find('.'))))
      fs::rename(entry.path(), aside / "trials" / name);
  }
  for (const char* name : {"plan.yaml", "results.h5", "results.csv", "trials.csv", "results.md"})
    if (fs::exists(layout.dir() / name)) fs::rename(layout.dir() / name, aside / name);
}

void prepare_output(const Experiment& experiment, const OutputLayout& layout, bool force) {
  fs::create_directories(layout.trials());
  remove_abandoned_temporaries(layout.trials());  // left by a killed run on this host
  remove_abandoned_temporaries(layout.dir());
  if (fs::exists(layout.plan())) {
    const ConfigNode old = load_yaml_file(layout.plan().string());
    const ConfigNode* old_fingerprint = old.find("fingerprint");
    if (old_fingerprint == nullptr || old_fingerprint->text() != fingerprint(experiment)) {
      if (!force)
        throw ConfigError(fmt::format(
            "{} holds the results of another plan of experiment '{}' (the configuration, arms "
            "or seeds changed); results of different configurations are never mixed. Choose "
            "another directory (-o output=...), or pass --force to move the trials not in this "
            "plan to {}/superseded/",
            layout.dir().string(), old.find("experiment") ? old.find("experiment")->text() : "?",
            layout.dir().string()));
      supersede(layout, experiment);
    }
  }
  write_file_atomically(layout.plan(), plan_yaml(experiment));
}

struct Attempt {
  const Trial* trial;
  int attempt;
};

class Scheduler {
 public:
  Scheduler(const Experiment& experiment, const OutputLayout& layout, const RunOptions& options,
            ProgressDisplay& display)
      : experiment_(experiment), layout_(layout), options_(options), display_(display) {}

  /// Runs `trials`; returns how many failed for good. Sets interrupted() on a signal.
  int64_t run(const std::vector<const Trial*>& trials, int jobs) {
    for (const Trial* trial : trials) queue_.push_back({trial, 0});
    while (!queue_.empty() || pool_.running() > 0) {
      handle_signals();
      while (!stopping_ && !queue_.empty() && pool_.running() < jobs) launch();
      for (const WorkerEvent& event : pool_.poll(100)) handle(event);
      display_.render();
      if (stopping_ && pool_.running() == 0) break;
    }
    return failures_;
  }
  bool interrupted() const { return interrupted_; }

 private:
  void launch() {
    const Attempt next = queue_.front();
    queue_.pop_front();
    const Trial& trial = *next.trial;
    std::error_code ignored;
    fs::remove(layout_.failure(trial.id), ignored);
    write_file_atomically(layout_.ticket(trial.id), ticket_to_yaml(make_ticket(experiment_, trial)));
    const int slot = pool_.start({"trial", layout_.ticket(trial.id).string(), "--output",
                                  layout_.trial_file(trial.id).string(), "--log",
                                  layout_.log(trial.id).string()});
    if (static_cast<std::size_t>(slot) >= running_.size()) running_.resize(slot + 1);
    running_[slot] = next;
    display_.started(trial, next.attempt);
  }

  void handle(const WorkerEvent& event) {
    const Attempt attempt = running_[event.slot];
    const Trial& trial = *attempt.trial;
    if (event.kind == WorkerEvent::Kind::progress) {
      display_.progress(trial, event.step, event.steps, event.loss, event.seconds);
      return;
    }
    if (event.exit_code == 0) {
      display_.finished(trial, read_trial_summary(layout_.trial_file(trial.id).string()));
      return;
    }
    const bool stopped_by_us =
        stopping_ && (event.exit_code == 128 + SIGKILL || event.exit_code == 128 + SIGTERM ||
                      event.exit_code == 128 + SIGINT);
    if (event.exit_code == 130 || stopped_by_us) {
      display_.interrupted(trial);
      return;
    }
    const std::string reason = failure_reason(trial, event.exit_code);
    const bool retry = !stopping_ && attempt.attempt < options_.retries;
    display_.failed(trial, reason, layout_.log(trial.id).string(), retry);
    if (retry) {
      queue_.push_back({&trial, attempt.attempt + 1});
      return;
    }
    ++failures_;
    if (options_.fail_fast && !stopping_) {
      display_.message("--fail-fast: stopping the other trials");
      stopping_ = true;
      pool_.signal_all(SIGTERM);
    }
  }

  std::string failure_reason(const Trial& trial, int exit_code) {
    if (fs::exists(layout_.failure(trial.id))) {
      std::ifstream in(layout_.failure(trial.id));
      std::string reason;
      std::getline(in, reason);
      return reason;
    }
    const std::string reason =
        exit_code > 128 ? fmt::format("the trial's process was killed by signal {} ({})",
                                      exit_code - 128, strsignal(exit_code - 128))
                        : fmt::format("the trial's process exited with code {}", exit_code);
    write_file_atomically(layout_.failure(trial.id), reason + "\n");
    return reason;
  }

  void handle_signals() {
    if (signals_received == 0 || signals_seen_ == signals_received) return;
    signals_seen_ = signals_received;
    interrupted_ = true;
    if (!stopping_) {
      stopping_ = true;
      display_.message(
          "stopping: running trials stop at their next step (Ctrl-C again to kill them)");
      pool_.signal_all(SIGTERM);
    } else {
      pool_.signal_all(SIGKILL);
    }
  }

  const Experiment& experiment_;
  const OutputLayout& layout_;
  const RunOptions& options_;
  ProgressDisplay& display_;
  WorkerPool pool_;
  std::deque<Attempt> queue_;
  std::vector<Attempt> running_;
  int64_t failures_ = 0;
  bool stopping_ = false, interrupted_ = false;
  std::sig_atomic_t signals_seen_ = 0;
};

void print_failures(const std::vector<TrialSummary>& summaries, const OutputLayout& layout) {
  bool header = false;
  for (const TrialSummary& s : summaries) {
    if (s.status != TrialStatus::failed) continue;
    if (!header) fmt::print(stderr, "\nfailed trials:\n");
    header = true;
    fmt::print(stderr, "  #{} {} seed {}: {}\n    log: {}\n", s.index, s.arm, s.seed, s.failure,
               layout.log(s.id).string());
  }
}

}  // namespace

int run_run(const std::vector<std::string>& arguments) {
  RunOptions options;
  const ExperimentArguments parsed =
      parse_experiment_arguments("run", arguments, describe(options));
  if (parsed.help) return 0;
  const auto [share, shares] = parse_shard(options.shard);
  if (options.jobs < 0 || options.retries < 0)
    throw ConfigError("--jobs and --retries must be >= 0");
  const Experiment experiment = load(parsed);
  const OutputLayout layout(experiment.output_dir);
  prepare_output(experiment, layout, options.force);

  std::vector<const Trial*> to_run;
  int64_t selected = 0;
  for (const Trial& trial : experiment.trials) {
    if (trial.index % shares != share - 1) continue;
    ++selected;
    if (!trial_finished(layout, trial.id)) to_run.push_back(&trial);
  }
  const int jobs = options.jobs > 0
                       ? options.jobs
                       : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const ProgressDisplay::Mode mode = options.quiet                ? ProgressDisplay::Mode::quiet
                                     : isatty(STDOUT_FILENO) != 0 ? ProgressDisplay::Mode::terminal
                                                                  : ProgressDisplay::Mode::lines;
  if (!options.quiet)
    fmt::print(
        "experiment {}: {} trials ({} arms x {} seeds){}; {} already finished, {} to run "
        "with -j {}\noutput: {}\n",
        experiment.name, experiment.trials.size(), experiment.arms.size(),
        experiment.trials.size() / std::max<std::size_t>(experiment.arms.size(), 1),
        shares > 1 ? fmt::format(", share {}/{} = {} trials", share, shares, selected) : "",
        selected - static_cast<int64_t>(to_run.size()), to_run.size(), jobs, layout.dir().string());
  std::fflush(stdout);

  struct sigaction action {};
  action.sa_handler = count_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  int64_t failures = 0;
  bool interrupted = false;
  {
    ProgressDisplay display(mode, options.verbose, static_cast<int64_t>(to_run.size()), jobs);
    Scheduler scheduler(experiment, layout, options, display);
    failures = scheduler.run(to_run, jobs);
    interrupted = scheduler.interrupted();
  }
  const std::vector<TrialSummary> summaries = update_results(experiment, layout);
  int64_t finished = 0, pending = 0;
  for (const TrialSummary& s : summaries) {
    finished += s.status == TrialStatus::finished;
    pending += s.status == TrialStatus::pending;
  }
  fmt::print("\n{}\n{} of {} trials finished{}; results in {}/results.{{h5,csv,md}}\n",
             results_table(experiment, summaries), finished, summaries.size(),
             pending > 0
                 ? fmt::format(" ({} not run yet: re-run the same command to resume)", pending)
                 : "",
             layout.dir().string());
  print_failures(summaries, layout);
  if (interrupted) return 130;
  return failures > 0 ? 1 : 0;
}

}  // namespace attnlab::cli
