// The `conclusion:` block of an experiment: which figure to compare and which
// arms, checked against the arms the ablation made.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"

namespace attnlab {

/// The conclusion `block` asks for (nullopt without one). `arms` are the plan's
/// labels, `eval_lengths` every task length evaluated. Throws ConfigError naming
/// the key's file:line:col for an unknown figure or arm (with the choices).
std::optional<Conclusion> parse_conclusion(const ConfigNode* block,
                                           const std::vector<std::string>& arms,
                                           const std::vector<int64_t>& eval_lengths);

}  // namespace attnlab
