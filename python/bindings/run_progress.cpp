#include "run_progress.hpp"

#include <Python.h>
#include <fmt/format.h>

#include "bindings.hpp"

namespace attnlab::python {

void RunProgress::write_line(const std::string& text) {
  // A run in a daemon thread outlives the interpreter's shutdown: taking the
  // GIL then would end this thread inside C++ (std::terminate).
  if (_Py_IsFinalizing()) return;
  py::gil_scoped_acquire acquired;
  try {
    const py::object stderr_stream = py::module_::import("sys").attr("stderr");
    if (stderr_stream.is_none()) return;  // pythonw and the like: nowhere to show it
    stderr_stream.attr("write")(text + "\n");
    stderr_stream.attr("flush")();
  } catch (const py::error_already_set&) {
    // A closed or replaced stream must not stop a run that is training: the
    // line is lost, the trials are not.
  }
}

void RunProgress::started(const Trial& trial, int attempt) {
  logged_half_[trial.index] = 0;
  if (!quiet_)
    write_line(fmt::format("start  {}{}", trial_label(trial),
                           attempt > 0 ? fmt::format(" (retry {})", attempt) : ""));
}

void RunProgress::progress(const Trial& trial, int64_t step, int64_t steps, double loss,
                           double seconds) {
  // Half-way only: lines, not a display redrawn in place.
  const int64_t half = steps > 0 ? step * 2 / steps : 0;
  if (quiet_ || half < 1 || step >= steps || logged_half_[trial.index] >= half) return;
  logged_half_[trial.index] = half;
  write_line(fmt::format("       {}  step {}/{}  loss {:.4f}  {:.1f} s", trial_label(trial), step,
                         steps, loss, seconds));
}

void RunProgress::finished(const Trial& trial, const TrialSummary& summary) {
  logged_half_.erase(trial.index);
  if (!quiet_)
    write_line(fmt::format("done   {}  in {:.1f} s  {}", trial_label(trial), summary.seconds,
                           accuracy_summary(summary)));
}

void RunProgress::failed(const Trial& trial, const std::string& reason, const std::string& log,
                         bool will_retry) {
  logged_half_.erase(trial.index);
  write_line(fmt::format("FAILED {}: {}{}\n       log: {}", trial_label(trial), reason,
                         will_retry ? " (retrying)" : "", log));
}

void RunProgress::diverged(const Trial& trial, const std::string& reason, const std::string& log) {
  logged_half_.erase(trial.index);
  write_line(fmt::format(
      "diverged {}: {} (a result of its configuration: no run repeats it)\n       log: {}",
      trial_label(trial), reason, log));
}

void RunProgress::interrupted(const Trial& trial) {
  logged_half_.erase(trial.index);
  write_line(fmt::format("stopped {} (the next run takes it up again)", trial_label(trial)));
}

void RunProgress::message(const std::string& text) {
  if (!quiet_) write_line(text);
}

}  // namespace attnlab::python
