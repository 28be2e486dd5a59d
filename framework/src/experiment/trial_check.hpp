// Checks of one resolved trial that need the components themselves: the task
// suits the architecture, the heads fit the width, the model builds, and a
// forward pass runs at every evaluated length.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/nn/module.hpp"

namespace attnlab {

/// Throws ConfigError "file:line:col: key: ..." for the first problem, among them
/// an estimated memory need above `memory_limit` bytes (0: the memory available
/// now), checked before the model is built, and (with `read_initial_weights`)
/// parameters of train.init_from that do not fit it. Returns the estimate in bytes.
double check_trial(const ConfigNode& resolved, uint64_t memory_limit,
                   bool read_initial_weights = true);

/// Whether a recorded tensor is selected by the record options' patterns and
/// layers (its layer as declared where it was made; one outside the layers, e.g.
/// an embedding, is selected by its pattern alone).
bool is_recorded(const RecordedTensor& recorded, const std::vector<std::string>& patterns,
                 const std::vector<int64_t>& layers);

}  // namespace attnlab
