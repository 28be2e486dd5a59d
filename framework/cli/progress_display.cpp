#include "progress_display.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>

namespace attnlab::cli {

ProgressDisplay::ProgressDisplay(Mode mode, bool verbose, int64_t to_run, int jobs)
    : mode_(mode), verbose_(verbose), to_run_(to_run), jobs_(jobs) {}

ProgressDisplay::~ProgressDisplay() {
  clear();
}

std::string ProgressDisplay::eta(double seconds) const {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::lround(seconds));
  return s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60)
         : s >= 60 ? fmt::format("{}m{:02d}s", s / 60, s % 60)
                   : fmt::format("{}s", s);
}

void ProgressDisplay::clear() {
  if (mode_ != Mode::terminal || drawn_lines_ == 0) return;
  fmt::print("\x1b[{}F\x1b[J", drawn_lines_);
  drawn_lines_ = 0;
}

void ProgressDisplay::message(const std::string& text) {
  if (mode_ == Mode::quiet) return;
  clear();
  fmt::print("{}\n", text);
  std::fflush(stdout);
  render(true);
}

void ProgressDisplay::started(const Trial& trial, int attempt) {
  running_[trial.index] = {trial_label(trial), 0, 0, 0.0, 0.0, 0};
  if (mode_ == Mode::lines)
    message(fmt::format("start  {}{}", trial_label(trial),
                        attempt > 0 ? fmt::format(" (retry {})", attempt) : ""));
}

void ProgressDisplay::progress(const Trial& trial, int64_t step, int64_t steps, double loss,
                               double seconds) {
  Running& r = running_[trial.index];
  r.step = step;
  r.steps = steps;
  r.loss = loss;
  r.seconds = seconds;
  const int64_t decile = steps > 0 ? step * 10 / steps : 0;
  const int64_t every = verbose_ ? 1 : 5;  // lines mode: every 10% (verbose) or 50%
  if (mode_ == Mode::lines && decile >= r.last_logged_decile + every && step < steps) {
    r.last_logged_decile = decile;
    message(
        fmt::format("       {}  step {}/{}  loss {:.4f}  ETA {}", r.label, step, steps, loss,
                    eta(seconds / static_cast<double>(step) * static_cast<double>(steps - step))));
  }
  render();
}

void ProgressDisplay::finished(const Trial& trial, const TrialSummary& summary) {
  running_.erase(trial.index);
  ++done_;
  finished_seconds_ += summary.seconds;
  if (mode_ != Mode::quiet)
    message(fmt::format("done   {}  in {:.1f} s  {}", trial_label(trial), summary.seconds,
                        accuracy_summary(summary)));
}

void ProgressDisplay::failed(const Trial& trial, const std::string& reason, const std::string& log,
                             bool will_retry) {
  running_.erase(trial.index);
  if (!will_retry) ++failed_;
  clear();
  fmt::print(stderr, "FAILED {}: {}{}\n       log: {}\n", trial_label(trial), reason,
             will_retry ? " (retrying)" : "", log);
  std::fflush(stderr);
  render(true);
}

void ProgressDisplay::diverged(const Trial& trial, const std::string& reason,
                               const std::string& log) {
  running_.erase(trial.index);
  ++diverged_;
  if (mode_ != Mode::quiet)
    message(
        fmt::format("diverged {}: {} (a result of its configuration: no run repeats it)\n"
                    "       log: {}",
                    trial_label(trial), reason, log));
}

void ProgressDisplay::interrupted(const Trial& trial) {
  running_.erase(trial.index);
  message(fmt::format("stopped {} (the next run takes it up again)", trial_label(trial)));
}

void ProgressDisplay::render(bool force) {
  if (mode_ != Mode::terminal) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_render_ < std::chrono::milliseconds(250)) return;
  last_render_ = now;
  clear();
  const int64_t waiting =
      to_run_ - done_ - failed_ - diverged_ - static_cast<int64_t>(running_.size());
  const double per_trial = done_ > 0 ? finished_seconds_ / static_cast<double>(done_) : NAN;
  const double overall =
      per_trial * static_cast<double>(waiting + static_cast<int64_t>(running_.size())) / jobs_;
  std::string text = fmt::format("trials: {} done, {} running, {} waiting, {} failed{}  ETA {}\n",
                                 done_, running_.size(), std::max<int64_t>(waiting, 0), failed_,
                                 diverged_ > 0 ? fmt::format(", {} diverged", diverged_) : "",
                                 done_ > 0 ? eta(overall) : "?");
  for (const auto& [index, r] : running_) {
    if (r.steps == 0) {
      text += fmt::format("  {}  starting\n", r.label);
      continue;
    }
    const double left =
        r.step > 0 ? r.seconds / static_cast<double>(r.step) * static_cast<double>(r.steps - r.step)
                   : NAN;
    text += fmt::format("  {}  step {}/{}  loss {:.4f}  ETA {}\n", r.label, r.step, r.steps, r.loss,
                        eta(left));
  }
  fmt::print("{}", text);
  std::fflush(stdout);
  drawn_lines_ = 1 + static_cast<int>(running_.size());
}

}  // namespace attnlab::cli
