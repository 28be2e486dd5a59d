// Checks of one resolved trial that need the components themselves: the task
// suits the architecture, the heads fit the width, the model builds, and a
// forward pass runs at every evaluated length.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"

namespace attnlab {

/// Throws ConfigError "file:line:col: key: ..." for the first problem, among them
/// an estimated memory need above `memory_limit` bytes (0: the memory available
/// now), checked before the model is built. Returns the estimate in bytes.
double check_trial(const ConfigNode& resolved, uint64_t memory_limit);

/// Whether an activation name is selected by the record options' patterns and layers.
bool is_recorded(const std::string& name, const std::vector<std::string>& patterns,
                 const std::vector<int64_t>& layers);

}  // namespace attnlab
