// The blocks that say what an experiment concludes from its numbers:
// `conclusion:` (which figure to compare and which arms) and `solved:` (when
// a seed solved the task), checked against the arms the ablation made and the
// figures they measure.
#pragma once

#include <optional>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/experiment/experiment.hpp"

namespace attnlab {

/// The conclusion `block` asks of `experiment` (whose arms and trials are
/// expanded; nullopt without a block). Throws ConfigError naming the key's
/// file:line:col for an unknown figure or arm (with the choices), a figure an
/// arm does not measure, or a repeated or self-compared arm. Arms of one seed
/// are accepted (a quick smoke run): the run then says why no interval was
/// drawn.
std::optional<Conclusion> parse_conclusion(const ConfigNode* block, const Experiment& experiment);

/// The solved rule `block` declares (nullopt without one): `figure` and one of
/// `at_least` (a figure where higher is better) or `at_most` (lower is
/// better), a threshold within the figure's range. ConfigError naming the
/// key's file:line:col otherwise, as parse_conclusion's.
std::optional<SolvedRule> parse_solved(const ConfigNode* block, const Experiment& experiment);

}  // namespace attnlab
