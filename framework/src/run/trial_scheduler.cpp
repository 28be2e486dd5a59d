#include "attnlab/run/trial_scheduler.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "attnlab/io/atomic_file.hpp"
#include "attnlab/run/trial_holder.hpp"
#include "attnlab/run/trial_runner.hpp"

namespace fs = std::filesystem;

namespace attnlab {
namespace {

volatile std::sig_atomic_t signals_received = 0;

void count_signal(int) {
  signals_received = signals_received + 1;
}

// A trial without a file whose marker says its training diverged: a result of
// its configuration, which would diverge again, so no run starts it.
bool diverged_on_disk(const OutputLayout& layout, const std::string& id) {
  return !fs::exists(layout.trial_file(id)) && is_divergence(failure_marker_reason(layout, id));
}

}  // namespace

TrialSelection select_trials_to_run(const Experiment& experiment, const OutputLayout& layout,
                                    int64_t share, int64_t shares,
                                    const std::function<void(const std::string&)>& warn) {
  TrialSelection selection;
  for (const Trial& trial : experiment.trials) {
    if (!in_share(trial.index, share, shares)) continue;
    ++selection.selected;
    const TrialFileState state = inspect_trial_file(layout, trial.id);
    if (state.kind == TrialFileState::Kind::absent && diverged_on_disk(layout, trial.id)) {
      ++selection.diverged;
    } else if (!state.finished()) {
      selection.to_run.push_back(&trial);
    } else {
      std::error_code ignored;  // left by a worker or run killed after the trial finished
      fs::remove(layout.failure(trial.id), ignored);
      fs::remove(layout.holder(trial.id), ignored);
      fs::remove(layout.resume_point(trial.id), ignored);
    }
    if (state.kind == TrialFileState::Kind::damaged)
      warn(fmt::format("{}; the trial runs again",
                       set_aside_damaged_file(layout, trial.id, state.damage)));
  }
  return selection;
}

int default_jobs(int cpus, const std::vector<const Trial*>& trials) {
  int threads = 1;
  for (const Trial* trial : trials)
    if (const ConfigNode* value = trial->config.at_path("train.threads"))
      threads = std::max(threads, std::stoi(value->text()));
  return std::max(1, cpus / threads);
}

std::vector<std::string> worker_arguments(const WorkerCommand& command) {
  return {"trial", command.ticket, "--output", command.output, "--log", command.log};
}

WorkerCommand parse_worker_arguments(const std::vector<std::string>& arguments) {
  if (arguments.size() != 5 || arguments[1] != "--output" || arguments[3] != "--log")
    throw Error("usage: attnlab trial TICKET --output FILE --log FILE (started by attnlab run)");
  // Its failure marker and resume point are named after it (<id>.failed, <id>.resume).
  if (std::filesystem::path(arguments[2]).extension() != ".h5")
    throw Error(fmt::format("attnlab trial: --output {}: expected a file name ending in .h5",
                            arguments[2]));
  return {arguments[0], arguments[2], arguments[4]};
}

void install_stop_handlers() {
  // A process may run one scheduler after another (the Python module's
  // attnlab.run): each starts from no signal, or a Ctrl-C that stopped the
  // last run would stop the next one at its first look.
  signals_received = 0;
  struct sigaction action {};
  action.sa_handler = count_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

double estimated_work(const Trial& trial) {
  const ConfigNode* steps = trial.config.at_path("train.steps");
  return (steps != nullptr ? std::stod(steps->text()) : 1.0) * trial.memory_bytes;
}

const Trial* ListFeed::next() {
  if (trials_.empty()) return nullptr;
  const Trial* trial = trials_.front();
  trials_.pop_front();
  return trial;
}

int64_t TrialScheduler::run(const std::vector<const Trial*>& trials, int jobs) {
  ListFeed feed(trials);
  return run(feed, jobs);
}

int64_t TrialScheduler::run(TrialFeed& feed, int jobs) {
  feed_ = &feed;
  bool fed = false;  // the feed has no more
  while (!queue_.empty() || pool_.running() > 0 || !waiting_.empty() || !fed) {
    handle_signals();
    if (feed.serve() && !stopping_)
      begin_stopping("another process of this run stopped it: its running trials stop too",
                     SIGTERM);
    while (!stopping_ && pool_.running() < jobs) {
      if (queue_.empty() && !fed) {
        const Trial* trial = feed.next();
        fed = trial == nullptr;
        if (trial != nullptr) queue_.push_back({trial, 0});
      }
      if (queue_.empty()) break;
      launch();
    }
    if (stopping_) fed = true;
    if (!stopping_ && queue_.empty() && pool_.running() < jobs) take_over_waiting();
    if (pool_.running() == 0 && queue_.empty() && !waiting_.empty() && !stopping_)
      ::usleep(200 * 1000);  // only other runs' trials are left: look again soon
    const std::vector<WorkerEvent> events = pool_.poll(100);
    handle_signals();  // before the exits: a worker stopped by the same signal was stopped by us
    for (const WorkerEvent& event : events) handle(event);
    observer_.tick();
    if (stopping_ && pool_.running() == 0) break;
  }
  feed_ = nullptr;
  return failures_;
}

void TrialScheduler::begin_stopping(const std::string& reason, int signal) {
  observer_.message(reason);
  stopping_ = true;
  if (signal != 0) pool_.signal_all(signal);
  if (feed_ != nullptr) feed_->stopping(reason);
}

void TrialScheduler::launch() {
  const Attempt next = queue_.front();
  queue_.pop_front();
  const Trial& trial = *next.trial;
  if (!lock_.claim(trial.index)) {
    if (waiting_.empty())
      observer_.message(fmt::format(
          "another attnlab run of this plan is running trial #{}: it is left to that run, "
          "and this run waits for it (and for any other trial that run holds)",
          trial.index));
    waiting_.push_back(next);
    return;
  }
  if (settled_else_set_aside(trial)) {  // by another run of the plan, meanwhile
    lock_.release(trial.index);
    return;
  }
  std::error_code ignored;
  fs::remove(layout_.failure(trial.id), ignored);
  try {
    write_file_atomically(layout_.ticket(trial.id),
                          ticket_to_yaml(make_ticket(experiment_, trial)));
    write_file_atomically(layout_.holder(trial.id), holder_yaml(this_process_as_holder()));
  } catch (const IoError& e) {
    lock_.release(trial.index);
    stop_for_io_error(e.what());
    return;
  }
  const int slot = pool_.start(
      worker_arguments({layout_.ticket(trial.id).string(), layout_.trial_file(trial.id).string(),
                        layout_.log(trial.id).string()}),
      layout_.log(trial.id).string());
  if (static_cast<std::size_t>(slot) >= running_.size()) running_.resize(slot + 1);
  running_[slot] = next;
  observer_.started(trial, next.attempt);
}

bool TrialScheduler::finished_else_set_aside(const Trial& trial) {
  const TrialFileState state = inspect_trial_file(layout_, trial.id);
  if (state.kind == TrialFileState::Kind::damaged)
    observer_.message(set_aside_damaged_file(layout_, trial.id, state.damage) +
                      "; the trial runs again");
  return state.finished();
}

bool TrialScheduler::settled_else_set_aside(const Trial& trial) {
  if (finished_else_set_aside(trial)) {
    observer_.finished(trial, read_trial_summary(layout_.trial_file(trial.id).string()));
    return true;
  }
  if (!diverged_on_disk(layout_, trial.id)) return false;
  observer_.diverged(trial, failure_marker_reason(layout_, trial.id),
                     layout_.log(trial.id).string());
  return true;
}

// Trials another run held: finished by it, or released unfinished (that run
// stopped or failed them), in which case this run takes them up.
void TrialScheduler::take_over_waiting() {
  std::vector<Attempt> still_held;
  for (const Attempt& attempt : waiting_) {
    const Trial& trial = *attempt.trial;
    if (!lock_.claim(trial.index)) {
      still_held.push_back(attempt);
      continue;
    }
    lock_.release(trial.index);
    if (!settled_else_set_aside(trial)) queue_.push_back(attempt);
  }
  waiting_ = std::move(still_held);
}

void TrialScheduler::handle(const WorkerEvent& event) {
  const Attempt attempt = running_[event.slot];
  const Trial& trial = *attempt.trial;
  if (event.kind == WorkerEvent::Kind::progress) {
    observer_.progress(trial, event.step, event.steps, event.loss, event.seconds);
    return;
  }
  std::error_code ignored;  // it is no longer running, whatever became of it
  fs::remove(layout_.holder(trial.id), ignored);
  handle_exit(attempt, event);
  lock_.release(trial.index);
}

// The disk is full or gone, or the worker program is: starting more trials
// would fail them all. Running ones finish or fail on their own; what finished
// is kept, the rest resumes.
void TrialScheduler::stop_starting(const std::string& what, const std::string& remedy) {
  if (stopping_) return;
  begin_stopping(fmt::format("cannot go on: {}; no further trial starts ({}run the same "
                             "command again to resume)",
                             what, remedy),
                 0);
}

void TrialScheduler::stop_for_io_error(const std::string& what) {
  stop_starting(what, "free the space and ");
}

void TrialScheduler::handle_exit(const Attempt& attempt, const WorkerEvent& exit) {
  const Trial& trial = *attempt.trial;
  const int exit_code = exit.exit_code;
  // A worker killed after it published its file still finished its trial.
  if (exit_code == 0 || finished_else_set_aside(trial)) {
    std::error_code ignored;
    fs::remove(layout_.failure(trial.id), ignored);
    observer_.finished(trial, read_trial_summary(layout_.trial_file(trial.id).string()));
    return;
  }
  const bool stopped_by_us = stopping_ && (exit_code == 130 || exit_code == 128 + SIGKILL ||
                                           exit_code == 128 + SIGTERM || exit_code == 128 + SIGINT);
  if (stopped_by_us) {
    observer_.interrupted(trial);
    return;
  }
  const std::string reason = failure_reason(trial, exit);
  // A full disk fails every trial that follows: stop starting them (this one
  // freed its space when it removed its partial file, so the next would start).
  for (const int full : {ENOSPC, EDQUOT})
    if (reason.find(std::strerror(full)) != std::string::npos) stop_for_io_error(reason);
  // Nor can any trial start once the worker program is gone (rebuilt or removed).
  if (exit_code == 127) stop_starting(reason, "");
  if (is_divergence(reason)) {  // a result, not a fault: neither retried nor a failure
    observer_.diverged(trial, reason, layout_.log(trial.id).string());
    return;
  }
  const bool retry = !stopping_ && attempt.attempt < options_.retries;
  observer_.failed(trial, reason, layout_.log(trial.id).string(), retry);
  if (retry) {
    queue_.push_back({&trial, attempt.attempt + 1});
    return;
  }
  ++failures_;
  if (options_.fail_fast && !stopping_)
    begin_stopping("--fail-fast: stopping the other trials", SIGTERM);
}

std::string TrialScheduler::failure_reason(const Trial& trial, const WorkerEvent& exit) {
  if (std::string reason = failure_marker_reason(layout_, trial.id); !reason.empty()) return reason;
  const int exit_code = exit.exit_code;
  // Reported, but the worker could not write its marker (written here if it can be now);
  // or not reported (killed, or never started).
  const std::string reason =
      !exit.failure.empty() ? exit.failure
      : exit_code == 130    ? "the trial's process was stopped by a signal from outside this run "
                              "(SIGINT or SIGTERM sent to it alone); nothing of it was kept"
      : exit_code == 127
          ? fmt::format(
                "the trial's worker could not be started ({} could not be run: was it "
                "replaced or removed while the run went on?)",
                options_.worker_program)
      : exit_code > 128 ? fmt::format("the trial's process was killed by signal {} ({})",
                                      exit_code - 128, strsignal(exit_code - 128))
                        : fmt::format("the trial's process exited with code {}", exit_code);
  try {
    write_file_atomically(layout_.failure(trial.id), reason + "\n");
  } catch (const IoError& e) {
    stop_for_io_error(e.what());
  }
  return reason;
}

void TrialScheduler::handle_signals() {
  if (signals_received == 0 || signals_seen_ == signals_received) return;
  signals_seen_ = signals_received;
  interrupted_ = true;
  if (!stopping_) {
    begin_stopping(
        "stopping: running trials stop at their next step (a second Ctrl-C or SIGTERM kills "
        "them)",
        SIGTERM);
  } else {
    pool_.signal_all(SIGKILL);
  }
}

}  // namespace attnlab
