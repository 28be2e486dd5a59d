// `attnlab trial TICKET --output FILE --log FILE`: runs one trial in its own
// process (started by `attnlab run`, or by hand from a ticket). Progress goes to
// stdout as lines "@step STEP STEPS LOSS SECONDS" for the parent, a readable
// log to --log, a failure's reason also to stderr.
// Exit codes: 0 finished, 3 failed or diverged (reason on stdout as "@failed REASON", in
// the log and in FILE's .failed marker as far as the disk allows; a reason of
// divergence makes it a result, run_observer.hpp), 130 interrupted (SIGINT/SIGTERM:
// stopped at a step boundary, nothing kept).
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/os.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/training_state.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/run/trial_scheduler.hpp"
#include "commands.hpp"

namespace attnlab::cli {
namespace {

std::atomic<bool> stop_requested{false};

// SIGINT and SIGTERM stay blocked in every thread but one, which takes them
// with sigwait: no signal is ever delivered to a computing thread. oneDNN's
// AVX-512 sgemm kernels point rsp into the heap while they run (oneDNN issue
// #4845, fixed after Debian 12's release), so a handler's frame pushed there
// corrupts the heap: a stopped trial died of SIGSEGV or SIGABRT instead of
// stopping. Threads started later (OpenMP's, oneDNN's) inherit the mask.
void watch_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // already so when started by a run
  std::thread([stop_signals] {
    int signal = 0;
    while (sigwait(&stop_signals, &signal) == 0) stop_requested = true;
  }).detach();
}

// Appends to the trial's log, never through a link planted in its place.
std::FILE* open_log(const std::string& path) {
  const int fd = open_log_for_append(path.c_str());
  std::FILE* log = fd >= 0 ? ::fdopen(fd, "a") : nullptr;
  if (log != nullptr) return log;
  const std::string why = errno == ELOOP ? "it is a symbolic link, and logs are never written "
                                           "through one"
                                         : std::strerror(errno);
  if (fd >= 0) ::close(fd);
  throw IoError(fmt::format("{}: cannot open the trial log: {}", path, why));
}

// Tells the parent why (on the pipe, which needs no disk), then the log, stderr
// and the failure marker as far as the disk allows. Returns the exit code 3.
int report_failure(const std::string& failure, const std::string& output, std::FILE* log,
                   const std::string& log_path) {
  std::string line = failure;
  std::replace(line.begin(), line.end(), '\n', ' ');
  fmt::print("@failed {}\n", line);
  std::fflush(stdout);
  const bool diverged = is_divergence(failure);  // a result of the configuration, not a fault
  if (log != nullptr) {
    fmt::print(log, "{}: {}\n", diverged ? "DIVERGED" : "FAILED", failure);
    std::fclose(log);
  }
  fmt::print(stderr, "attnlab trial: {}: {} (log: {})\n", diverged ? "diverged" : "failed", failure,
             log_path);
  try {
    write_file_atomically(output.substr(0, output.size() - 3) + ".failed", failure + "\n");
  } catch (const Error& e) {  // e.g. the disk is full: the parent has the reason anyway
    fmt::print(stderr, "attnlab trial: cannot record the failure: {}\n", e.what());
  }
  return 3;
}

}  // namespace

int run_trial_worker(const std::vector<std::string>& arguments) {
  const WorkerCommand command = parse_worker_arguments(arguments);
  const std::string& output = command.output;
  watch_stop_signals();
  std::FILE* log = nullptr;
  try {
    log = open_log(command.log);
  } catch (const Error& e) {
    return report_failure(e.what(), output, nullptr, command.log);
  }
  const auto start = std::chrono::steady_clock::now();
  std::string failure;
  try {
    const TrialTicket ticket = read_ticket(command.ticket);
    const Trial& trial = ticket.trial;
    fmt::print(log, "trial {} (index {}): arm '{}', seed {}\n{}\n", trial.id, trial.index,
               trial.arm, trial.seed, to_yaml(trial.config));
    std::fflush(log);
    const int64_t steps = std::stoll(trial.config.at_path("train.steps")->text());
    const double seconds = run_trial(
        ticket, output,
        [&](const TrainRecord& r) {
          if (stop_requested) throw TrialInterrupted();
          const double elapsed =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          fmt::print("@step {} {} {:.6g} {:.3f}\n", r.step, steps, r.loss, elapsed);
          std::fflush(stdout);
          if (r.eval.empty()) return;
          fmt::print(log, "step {} loss {:.4f} lr {:.3g} grad-norm {:.3f}", r.step, r.loss, r.lr,
                     r.grad_norm);
          for (const Evaluation& e : r.eval) {
            fmt::print(log, "  eval@{}:", e.length);
            for (const Evaluation::Metric& metric : Evaluation::metrics())
              if (!metric.optional || !std::isnan(e.*metric.member))
                fmt::print(log, " {} {:.4f}", metric.name, e.*metric.member);
          }
          fmt::print(log, "\n");
          std::fflush(log);
        },
        [&](int64_t step) {
          fmt::print(log, "resumed at step {} from its checkpoint ({})\n", step,
                     resume_point_path(output).string());
          std::fflush(log);
        });
    fmt::print(log, "finished in {:.1f} s: {}\n", seconds, output);
    std::fclose(log);
    return 0;
  } catch (const TrialInterrupted&) {
    fmt::print(log, "interrupted; {}\n",
               std::filesystem::exists(resume_point_path(output))
                   ? "the next run resumes this trial from its last checkpoint"
                   : "nothing kept (the next run restarts this trial)");
    std::fclose(log);
    return 130;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  return report_failure(failure, output, log, command.log);
}

}  // namespace attnlab::cli
