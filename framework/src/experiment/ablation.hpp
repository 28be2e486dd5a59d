// The `ablation:` section expanded into arms: each arm is a list of dotted-key
// assignments applied to the base configuration.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"

namespace attnlab {

struct Assignment {
  std::string key;  // dotted
  SourceLocation key_location;
  ConfigNode value;  // carries its own location
};

struct Arm {
  std::string label;
  std::vector<std::pair<std::string, std::string>> axes;  // shown in plans and tables
  std::vector<Assignment> assignments;
};

/// The arms of an ablation section (nullptr or empty: one arm called "base").
/// Blocks are concatenated; within a block `set` applies to every arm, `grid`
/// axes combine as a cartesian product (first axis slowest) and `zip` axes pair
/// up; a block with both gives grid x zip.
std::vector<Arm> expand_ablation(const ConfigNode* ablation);

}  // namespace attnlab
