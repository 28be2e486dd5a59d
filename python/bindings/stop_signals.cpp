#include "stop_signals.hpp"

#include "attnlab/run/trial_scheduler.hpp"

namespace attnlab::python {

SchedulerSignals::SchedulerSignals(bool main_thread) : installed_(main_thread) {
  if (!installed_) return;
  sigaction(SIGINT, nullptr, &interrupt_);
  sigaction(SIGTERM, nullptr, &terminate_);
  install_stop_handlers();
}

SchedulerSignals::~SchedulerSignals() {
  if (!installed_) return;
  sigaction(SIGINT, &interrupt_, nullptr);
  sigaction(SIGTERM, &terminate_, nullptr);
}

}  // namespace attnlab::python
