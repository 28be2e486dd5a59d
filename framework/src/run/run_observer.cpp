#include "attnlab/run/run_observer.hpp"

#include <fmt/format.h>

namespace attnlab {

std::string trial_label(const Trial& trial) {
  return fmt::format("#{} {} seed {}{}", trial.index, trial.arm, trial.seed,
                     trial.tuned.empty() ? "" : fmt::format(", tuned value {}", trial.tuned));
}

std::string accuracy_summary(const TrialSummary& summary) {
  std::string text;
  for (const auto& [name, value] : summary.metrics)
    if (name.rfind("eval_accuracy", 0) == 0)
      text += fmt::format("{}{} {:.2f}%", text.empty() ? "" : ", ", name, 100.0 * value);
  return text;
}

}  // namespace attnlab
