// The run engine as a library: the output directory's locks and claims, which
// trials a run resumes with, and the scheduler running trials in worker
// processes (the attnlab executable, as `attnlab run` does).
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/io/atomic_file.hpp>
#include <attnlab/run/output_directory.hpp>
#include <attnlab/run/plan_file.hpp>
#include <attnlab/run/run_status.hpp>
#include <attnlab/run/trial_holder.hpp>
#include <attnlab/run/trial_runner.hpp>
#include <attnlab/run/trial_scheduler.hpp>
#include <attnlab/train/trainer.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTiny = R"(name: tiny
model: {d_model: 8, layers: 1, ffn: 16}
task: {name: copy, symbols: 5, length: 4}
train: {steps: 4, warmup: 1}
eval: {every: 0, batches: 1}
ablation:
  - {name: fine, set: {heads.count: 2}}
  - {name: explodes, set: {train.lr: 1.0e+30, train.clip: 0}}
seeds: 2
)";

Experiment tiny(const TemporaryFolder& folder, const std::string& output = "out") {
  return load_experiment(folder.write("tiny.yaml", kTiny),
                         {"output=" + (folder.path() / output).string()});
}

// The tiny experiment's plan and its output directory, made by a first run.
struct Prepared {
  TemporaryFolder folder;
  Experiment experiment = tiny(folder);
  OutputLayout layout{experiment.output_dir};
  std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, false);
};

// Every event, one line each, in order.
class EventLog final : public RunObserver {
 public:
  void started(const Trial& t, int attempt) override { add("started", t, attempt); }
  void progress(const Trial&, int64_t, int64_t, double, double) override { ++steps; }
  void finished(const Trial& t, const TrialSummary&) override { add("finished", t, 0); }
  void failed(const Trial& t, const std::string& reason, const std::string&, bool retry) override {
    add(retry ? "failed, retrying" : "failed", t, 0);
    reasons.push_back(reason);
  }
  void diverged(const Trial& t, const std::string& reason, const std::string&) override {
    add("diverged", t, 0);
    reasons.push_back(reason);
  }
  void interrupted(const Trial& t) override { add("interrupted", t, 0); }
  void message(const std::string& text) override { messages.push_back(text); }
  int count(const std::string& what) const {
    return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(what + " ", 0) == 0;
    }));
  }
  std::vector<std::string> lines, reasons, messages;
  int64_t steps = 0;

 private:
  void add(const std::string& what, const Trial& t, int attempt) {
    lines.push_back(fmt::format("{} {} {}", what, t.arm, attempt));
  }
};

std::vector<const Trial*> every_trial(const Experiment& experiment) {
  std::vector<const Trial*> trials;
  for (const Trial& trial : experiment.trials) trials.push_back(&trial);
  return trials;
}

// Workers of `program`; a failed trial runs once more.
SchedulerOptions retrying_once(const std::string& program) {
  SchedulerOptions options;
  options.retries = 1;
  options.worker_program = program;
  return options;
}

}  // namespace

TEST_CASE("runs of one plan share a directory by claims, a run of another plan is refused") {
  const Prepared run;
  const auto& [folder, experiment, layout, first] = run;
  REQUIRE_FALSE(first->shared());
  const auto second = prepare_output_directory(experiment, layout, false);
  REQUIRE(second->shared());
  REQUIRE(first->claim(0));
  REQUIRE_FALSE(second->claim(0));  // held by the first run
  REQUIRE(second->claim(1));
  first->release(0);
  REQUIRE(second->claim(0));

  Experiment other = experiment;
  other.trials.pop_back();
  REQUIRE_THROWS_WITH(prepare_output_directory(other, layout, true),
                      Contains("another attnlab run is working there on another plan"));
}

TEST_CASE("a directory of another plan is refused unless forced, and forcing keeps its trials") {
  Prepared run;
  run.lock.reset();  // that run ended
  const auto& [folder, experiment, layout, lock] = run;
  std::ofstream(layout.trial_file("0123456789abcdef")) << "a trial of the old plan";
  Experiment other = experiment;
  other.trials.pop_back();
  REQUIRE_THROWS_WITH(prepare_output_directory(other, layout, false),
                      Contains("holds the results of another plan"));
  prepare_output_directory(other, layout, true);
  REQUIRE_FALSE(fs::exists(layout.trial_file("0123456789abcdef")));
  bool kept = false;
  for (const auto& entry : fs::recursive_directory_iterator(layout.superseded()))
    kept |= entry.path().filename() == "0123456789abcdef.h5";
  REQUIRE(kept);

  fs::create_directories(folder.path() / "mine");
  std::ofstream(folder.path() / "mine" / "notes.txt") << "precious";
  REQUIRE_THROWS_WITH(
      prepare_output_directory(tiny(folder, "mine"), OutputLayout(folder.path() / "mine"), false),
      Contains("holds files attnlab did not write (notes.txt)"));
}

TEST_CASE("a run resumes with the trials not finished, a damaged file set aside first") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& text) { warnings.push_back(text); };
  REQUIRE(select_trials_to_run(experiment, layout, 1, 1, warn).to_run.size() == 4);

  const Trial& done = experiment.trials.front();
  run_trial(make_ticket(experiment, done), layout.trial_file(done.id).string());
  std::ofstream(layout.failure(done.id)) << "a stale failure";
  TrialSelection selection = select_trials_to_run(experiment, layout, 1, 1, warn);
  REQUIRE(selection.selected == 4);
  REQUIRE(selection.to_run.size() == 3);
  REQUIRE(std::find(selection.to_run.begin(), selection.to_run.end(), &done) ==
          selection.to_run.end());
  REQUIRE_FALSE(fs::exists(layout.failure(done.id)));
  REQUIRE(select_trials_to_run(experiment, layout, 1, 2, warn).selected == 2);  // shares

  std::ofstream(layout.trial_file(done.id)) << "not HDF5 any more";
  selection = select_trials_to_run(experiment, layout, 1, 1, warn);
  REQUIRE(selection.to_run.size() == 4);
  REQUIRE(warnings.size() == 1);
  REQUIRE_THAT(warnings.front(), Contains("was moved to") && Contains("unreadable"));
  REQUIRE_FALSE(fs::exists(layout.trial_file(done.id)));
}

TEST_CASE(
    "the scheduler runs every trial in a worker, and a diverging one is a result, not rerun") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  const std::vector<const Trial*> trials = every_trial(experiment);
  const SchedulerOptions options = retrying_once(ATTNLAB_CLI);
  EventLog log;
  TrialScheduler scheduler(experiment, layout, options, log, *lock);
  REQUIRE(scheduler.run(trials, 2) == 0);  // 'explodes' diverges: its result, not a failure
  REQUIRE_FALSE(scheduler.interrupted());
  REQUIRE(log.count("finished fine") == 2);
  REQUIRE(log.count("diverged explodes") == 2);
  REQUIRE(log.count("started explodes") == 2);  // never retried: it would diverge again
  REQUIRE(log.count("failed") == 0);
  REQUIRE(log.steps > 0);
  for (const std::string& reason : log.reasons) REQUIRE_THAT(reason, Contains("training diverged"));
  for (const Trial& trial : experiment.trials)
    REQUIRE(inspect_trial_file(layout, trial.id).finished() == (trial.arm == "fine"));
  // Run again: nothing is left to run, and the run is complete.
  TrialSelection again = select_trials_to_run(experiment, layout, 1, 1, [](const std::string&) {});
  REQUIRE(again.to_run.empty());
  REQUIRE(again.diverged == 2);
  const RunStatus status = read_run_status(layout, 0);
  REQUIRE(status.count(TrialState::Kind::diverged) == 2);
  REQUIRE(status.complete());
  // Deleting a diverged trial's marker is how a user asks for it to run again.
  const Trial& exploded = experiment.trials[2];
  REQUIRE(exploded.arm == "explodes");
  fs::remove(layout.failure(exploded.id));
  again = select_trials_to_run(experiment, layout, 1, 1, [](const std::string&) {});
  REQUIRE(again.to_run.size() == 1);
  REQUIRE(again.to_run.front() == &exploded);
  REQUIRE(again.diverged == 1);
}

TEST_CASE("a trial that another run saw diverge meanwhile is not started again") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  const Trial& trial = experiment.trials[2];  // selected to run, then settled by another run
  write_file_atomically(layout.failure(trial.id),
                        std::string(kDivergedMessage) + ": loss is nan at step 2\n");
  EventLog log;
  TrialScheduler scheduler(experiment, layout, retrying_once(ATTNLAB_CLI), log, *lock);
  REQUIRE(scheduler.run({&trial}, 1) == 0);
  REQUIRE(log.count("started") == 0);
  REQUIRE(log.count("diverged explodes") == 1);
  REQUIRE(fs::exists(layout.failure(trial.id)));
}

TEST_CASE("only the trainer's own message makes a divergence, not a reason that mentions it") {
  CHECK(is_divergence(std::string(kDivergedMessage) + ": loss is nan at step 2"));
  CHECK_FALSE(is_divergence(
      "writing recorded activations failed: out/x.h5.partial: No space left on device (and "
      "training stopped: training diverged: loss is nan at step 2)"));
  CHECK_FALSE(is_divergence("/data/why training diverged/trials/x.h5: No space left on device"));
  CHECK_FALSE(is_divergence(""));
}

TEST_CASE("the scheduler retries a trial whose worker fails, and counts those that fail for good") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  const fs::path failing = folder.write("failing-worker", "#!/bin/sh\nexit 1\n");
  fs::permissions(failing, fs::perms::owner_all);
  const SchedulerOptions options = retrying_once(failing.string());
  EventLog log;
  TrialScheduler scheduler(experiment, layout, options, log, *lock);
  const std::vector<const Trial*> trials = every_trial(experiment);
  REQUIRE(scheduler.run(trials, 2) == 4);
  REQUIRE(log.count("started") == 8);  // each ran twice
  REQUIRE(log.count("failed, retrying") == 4);
  REQUIRE(log.count("failed") == 4);
  for (const std::string& reason : log.reasons)
    REQUIRE_THAT(reason, Contains("the trial's process exited with code 1"));
  // Run again: every one is left to run (a machine's fault may not recur).
  REQUIRE(select_trials_to_run(experiment, layout, 1, 1, [](const std::string&) {}).to_run.size() ==
          4);
  REQUIRE(read_run_status(layout, 0).count(TrialState::Kind::failed) == 4);
}

TEST_CASE("a worker program that cannot be started stops the run instead of failing every trial") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  const std::vector<const Trial*> trials = every_trial(experiment);
  const SchedulerOptions options =
      retrying_once((folder.path() / "rebuilt-away").string());  // as after a rebuild
  EventLog log;
  TrialScheduler scheduler(experiment, layout, options, log, *lock);
  REQUIRE(scheduler.run(trials, 1) == 1);  // the first fails, none other starts, none retries
  REQUIRE(log.count("started") == 1);
  REQUIRE_THAT(log.reasons.front(), Contains("the trial's worker could not be started"));
  REQUIRE(std::any_of(log.messages.begin(), log.messages.end(), [](const std::string& m) {
    return m.find("no further trial starts") != std::string::npos;
  }));
  REQUIRE(select_trials_to_run(experiment, layout, 1, 1, [](const std::string&) {}).to_run.size() ==
          trials.size());  // the next run takes every one up
}

TEST_CASE("a plan rebuilds its experiment from the output directory alone") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  REQUIRE(is_plan_file(layout.plan().string()));
  REQUIRE_FALSE(is_plan_file(folder.path() / "tiny.yaml"));
  fs::remove(folder.path() / "tiny.yaml");  // the file it was planned from is gone
  const Experiment rebuilt = planned_experiment(layout);
  REQUIRE(rebuilt.name == experiment.name);
  REQUIRE(rebuilt.source_text == experiment.source_text);
  REQUIRE(rebuilt.trials.size() == experiment.trials.size());
  for (std::size_t i = 0; i < rebuilt.trials.size(); ++i) {
    CHECK(rebuilt.trials[i].id == experiment.trials[i].id);
    CHECK(to_yaml(rebuilt.trials[i].config) == to_yaml(experiment.trials[i].config));
  }
  CHECK(fs::equivalent(rebuilt.output_dir, layout.dir()));
}

TEST_CASE("a plan without its experiment, or edited, is refused with what to do") {
  const Prepared run;
  const auto& layout = run.layout;
  std::string text;
  {
    std::ifstream in(layout.plan());
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(layout.plan()) << text.substr(0, text.find("experiment_yaml:")) +
                                      text.substr(text.find("\ntrials:") + 1);
  CHECK_THROWS_WITH(planned_experiment(layout),
                    Contains("did not keep the experiment") && Contains("-o output="));
  std::string edited = text;
  edited.replace(edited.find("steps: 4"), 8, "steps: 5");
  std::ofstream(layout.plan()) << edited;
  CHECK_THROWS_WITH(planned_experiment(layout), Contains("no longer expands to its trials"));
}

TEST_CASE("the claims probe sees a run's claims and takes none itself") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  const ClaimsProbe probe(layout);
  CHECK_FALSE(probe.held(1));
  REQUIRE(lock->claim(1));
  CHECK(probe.held(1));
  CHECK_FALSE(probe.held(0));
  REQUIRE(lock->claim(0));  // the probe took nothing
  lock->release(1);
  CHECK_FALSE(probe.held(1));
  const ClaimsProbe nowhere(OutputLayout(folder.path() / "absent"));
  CHECK_FALSE(nowhere.held(0));
}

TEST_CASE(
    "status: finished, diverged or failed with its reason, running with its holder, "
    "missing") {
  const Prepared run;
  const auto& [folder, experiment, layout, lock] = run;
  EventLog log;
  SchedulerOptions options;
  options.worker_program = ATTNLAB_CLI;
  {
    TrialScheduler scheduler(experiment, layout, options, log, *lock);
    scheduler.run({&experiment.trials[0], &experiment.trials[2]},
                  1);  // fine seed 0, explodes seed 0
  }
  REQUIRE(lock->claim(1));  // a run holds #1 ...
  write_file_atomically(layout.holder(experiment.trials[1].id),
                        holder_yaml({"node7", 4242, "SLURM job 12_3", 1000}));
  write_file_atomically(layout.holder(experiment.trials[3].id),  // ... and one died holding #3
                        holder_yaml({"node8", 99, "", 1000}));
  const RunStatus status = read_run_status(layout, 1300);
  REQUIRE(status.trials.size() == 4);
  CHECK(status.trials[0].kind == TrialState::Kind::finished);
  CHECK(status.trials[1].kind == TrialState::Kind::running);
  CHECK_THAT(
      status.trials[1].detail,
      Contains("host node7, pid 4242, SLURM job 12_3, since 1970-01-01 00:16:40 UTC (5 min)"));
  CHECK(status.trials[2].kind == TrialState::Kind::diverged);
  CHECK_THAT(status.trials[2].detail, Contains("training diverged"));
  CHECK(status.trials[3].kind == TrialState::Kind::missing);
  CHECK_THAT(status.trials[3].detail, Contains("its run ended while running it (host node8"));
  CHECK_FALSE(status.complete());
  CHECK(index_ranges(status.trials, TrialState::Kind::missing) == "#3");

  fs::remove(layout.holder(experiment.trials[3].id));
  write_file_atomically(layout.failure(experiment.trials[3].id),
                        "the trial's process was killed by signal 9 (Killed)\n");
  const RunStatus later = read_run_status(layout, 1300);
  CHECK(later.trials[3].kind == TrialState::Kind::failed);
  CHECK(later.trials[3].detail == "the trial's process was killed by signal 9 (Killed)");
}

TEST_CASE("trials run at once times train.threads stay within the CPUs") {
  const TemporaryFolder folder;
  const Experiment experiment =
      load_experiment(folder.write("tiny.yaml", kTiny),
                      {"output=" + (folder.path() / "out").string(),
                       "ablation=[{name: wide, set: {train.threads: 3}}, {name: one, set: {}}]"});
  std::vector<const Trial*> all, narrow;
  for (const Trial& trial : experiment.trials) {
    all.push_back(&trial);
    if (trial.arm == "one") narrow.push_back(&trial);
  }
  CHECK(default_jobs(8, all) == 2);  // the widest trial decides
  CHECK(default_jobs(8, narrow) == 8);
  CHECK(default_jobs(2, all) == 1);  // never none
  CHECK(default_jobs(1, {}) == 1);
}

TEST_CASE("a plan keeps the tuning and each trial's tuned value for the readers of results") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(
      folder.write("tiny.yaml", std::string(kTiny) + "tune: {train.weight_decay: [0, 0.1], "
                                                     "select: accuracy}\n"),
      {"output=" + (folder.path() / "out").string()});
  const OutputLayout layout{experiment.output_dir};
  const std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, false);
  const Experiment plan = read_plan(layout);
  REQUIRE(plan.tune.has_value());
  REQUIRE(plan.tune->key == "train.weight_decay");
  REQUIRE(plan.tune->values == std::vector<std::string>{"0", "0.1"});
  REQUIRE(plan.tune->figure() == "eval_accuracy[validation]");
  REQUIRE_FALSE(plan.tune->lower_is_better);
  REQUIRE(plan.trials.size() == 8);
  for (std::size_t i = 0; i < plan.trials.size(); ++i)
    REQUIRE(plan.trials[i].tuned == experiment.trials[i].tuned);
  REQUIRE(planned_experiment(layout).tune->values == plan.tune->values);
  REQUIRE_FALSE(read_plan(Prepared().layout).tune.has_value());
}

TEST_CASE("a tuned plan whose arms evaluate differently rebuilds to the same trials") {
  TemporaryFolder folder;
  const Experiment experiment = load_experiment(folder.write("tuned.yaml", R"(name: tuned
model: {d_model: 8, layers: 1, ffn: 16}
task: {name: copy, symbols: 5, length: 4}
train: {steps: 2, warmup: 1}
ablation: {grid: {eval.batches: [1, 3]}}
tune: {train.lr: [0.001, 0.01], seeds: [9]}
seeds: 2
)"),
                                                {"output=" + (folder.path() / "out").string()});
  const OutputLayout layout{experiment.output_dir};
  const std::unique_ptr<RunLock> lock = prepare_output_directory(experiment, layout, false);
  const Experiment rebuilt = planned_experiment(layout);
  REQUIRE(rebuilt.trials.size() == experiment.trials.size());
  for (std::size_t i = 0; i < rebuilt.trials.size(); ++i) {
    REQUIRE(rebuilt.trials[i].id == experiment.trials[i].id);
    REQUIRE(rebuilt.trials[i].tuned == experiment.trials[i].tuned);
  }
  REQUIRE(rebuilt.tune->seeds == std::vector<uint64_t>{9});
  // A plan of an older attnlab kept the tuned key's default, which no trial uses.
  std::string plan_text;
  {
    std::ifstream in(layout.plan());
    plan_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string train = "\\ntrain:\\n";
  REQUIRE(plan_text.find(train) != std::string::npos);
  plan_text.replace(plan_text.find(train), train.size(), train + "  lr: 0.003\\n");
  write_file_atomically(layout.plan(), plan_text);
  REQUIRE(planned_experiment(layout).trials.front().id == experiment.trials.front().id);
  // Each arm validates on as many batches as it evaluates.
  REQUIRE(rebuilt.trials.front().config.at_path("eval.validation_batches")->text() == "1");
  REQUIRE(rebuilt.trials.back().config.at_path("eval.validation_batches")->text() == "3");
}
