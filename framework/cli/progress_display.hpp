// What `attnlab run` shows while trials train: on a terminal, a status block
// redrawn in place (overall counts and ETA, one line per running trial with
// step, loss and ETA); otherwise plain log lines; with --quiet only failures.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/run_observer.hpp"

namespace attnlab::cli {

class ProgressDisplay final : public RunObserver {
 public:
  enum class Mode { terminal, lines, quiet };
  ProgressDisplay(Mode mode, bool verbose, int64_t to_run, int jobs);
  ~ProgressDisplay();

  void started(const Trial& trial, int attempt) override;
  void progress(const Trial& trial, int64_t step, int64_t steps, double loss,
                double seconds) override;
  void finished(const Trial& trial, const TrialSummary& summary) override;
  void failed(const Trial& trial, const std::string& reason, const std::string& log,
              bool will_retry) override;
  void diverged(const Trial& trial, const std::string& reason, const std::string& log) override;
  void interrupted(const Trial& trial) override;
  /// A line above the status block (or on its own).
  void message(const std::string& text) override;
  void tick() override { render(); }
  /// Redraws the status block (terminal mode; at most a few times a second).
  void render(bool force = false);

 private:
  struct Running {
    std::string label;
    int64_t step = 0, steps = 0;
    double loss = 0.0, seconds = 0.0;
    int64_t last_logged_decile = 0;
  };
  void clear();
  std::string eta(double seconds) const;

  Mode mode_;
  bool verbose_;
  int64_t to_run_, done_ = 0, failed_ = 0, diverged_ = 0;
  int jobs_;
  double finished_seconds_ = 0.0;
  std::map<int64_t, Running> running_;  // by trial index
  int drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_render_{};
};

}  // namespace attnlab::cli
