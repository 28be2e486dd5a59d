#include "ablation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "attnlab/error.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/registry/parameters.hpp"

namespace attnlab {
namespace {

[[noreturn]] void fail(const SourceLocation& where, const std::string& message) {
  throw ConfigError(fmt::format("{}: {}", where.str(), message));
}

// A value as shown in labels, on one line: the scalar, [a, b] or {k: v}.
std::string label_text(const ConfigNode& value) {
  if (value.is_scalar()) return value.text();
  std::string text;
  if (value.is_sequence()) {
    for (const ConfigNode& item : value.items())
      text += fmt::format("{}{}", text.empty() ? "" : ", ", label_text(item));
    return "[" + text + "]";
  }
  for (const ConfigNode::Entry& entry : value.entries())
    text += fmt::format("{}{}: {}", text.empty() ? "" : ", ", entry.key, label_text(entry.value));
  return value.is_map() ? "{" + text + "}" : "~";
}

// `set:` as dotted assignments; nested maps are flattened (model: {norm: post} = model.norm).
void flatten(const ConfigNode& map, const std::string& prefix, std::vector<Assignment>& into) {
  for (const ConfigNode::Entry& entry : map.entries()) {
    const std::string key = prefix.empty() ? entry.key : prefix + "." + entry.key;
    if (entry.value.is_map())
      flatten(entry.value, key, into);
    else
      into.push_back({key, entry.key_location, entry.value});
  }
}

struct Axis {
  std::string key;
  SourceLocation key_location;
  std::vector<ConfigNode> values;
};

std::vector<Axis> read_axes(const ConfigNode& node, const char* kind) {
  if (!node.is_map())
    fail(node.location(), fmt::format("ablation {}: found {}, expected a map of dotted key -> "
                                      "list of values, e.g. heads.count: [1, 2, 4]",
                                      kind, node.describe()));
  std::vector<Axis> axes;
  for (const ConfigNode::Entry& entry : node.entries()) {
    if (entry.key == "seeds")
      fail(entry.key_location, "seeds is not an ablation axis; set 'seeds:' at the top level");
    if (!entry.value.is_sequence() || entry.value.items().empty())
      fail(entry.value.location(),
           fmt::format("ablation {} axis '{}': found {}, expected a non-empty list of values", kind,
                       entry.key, entry.value.describe()));
    axes.push_back({entry.key, entry.key_location, entry.value.items()});
  }
  return axes;
}

// Rows of (axis, value index) choices: the cartesian product of `grid` times the zipped rows.
std::vector<std::vector<std::pair<const Axis*, std::size_t>>> combine(
    const std::vector<Axis>& grid, const std::vector<Axis>& zip) {
  std::vector<std::vector<std::pair<const Axis*, std::size_t>>> rows{{}};
  for (const Axis& axis : grid) {
    std::vector<std::vector<std::pair<const Axis*, std::size_t>>> next;
    for (const auto& row : rows)
      for (std::size_t i = 0; i < axis.values.size(); ++i) {
        next.push_back(row);
        next.back().emplace_back(&axis, i);
      }
    rows = std::move(next);
  }
  if (zip.empty()) return rows;
  std::vector<std::vector<std::pair<const Axis*, std::size_t>>> zipped;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < zip.front().values.size(); ++i) {
      zipped.push_back(row);
      for (const Axis& axis : zip) zipped.back().emplace_back(&axis, i);
    }
  return zipped;
}

void expand_block(const ConfigNode& block, std::vector<Arm>& arms) {
  if (!block.is_map())
    fail(block.location(), fmt::format("ablation block: found {}, expected a map with name, set, "
                                       "grid and/or zip",
                                       block.describe()));
  const std::vector<std::string> known{"name", "set", "grid", "zip"};
  for (const ConfigNode::Entry& entry : block.entries())
    if (std::find(known.begin(), known.end(), entry.key) == known.end()) {
      const std::string suggestion = closest_match(entry.key, known);
      fail(entry.key_location,
           fmt::format("ablation: unknown key '{}'{}; a block takes: name, set, grid, zip",
                       entry.key,
                       suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
    }
  const ConfigNode* name = block.find("name");
  const ConfigNode* set = block.find("set");
  const ConfigNode* grid = block.find("grid");
  const ConfigNode* zip = block.find("zip");
  if (set != nullptr && !set->is_map())
    fail(set->location(), fmt::format("ablation set: found {}, expected a map of dotted key -> "
                                      "value, e.g. model.norm: post",
                                      set->describe()));
  std::vector<Assignment> shared;
  if (set != nullptr) flatten(*set, "", shared);
  const std::vector<Axis> grid_axes = grid ? read_axes(*grid, "grid") : std::vector<Axis>{};
  const std::vector<Axis> zip_axes = zip ? read_axes(*zip, "zip") : std::vector<Axis>{};
  for (const Axis& axis : zip_axes)
    if (axis.values.size() != zip_axes.front().values.size())
      fail(axis.key_location,
           fmt::format("ablation zip: axis '{}' has {} values but '{}' has {}; zipped axes pair "
                       "up and must be equally long",
                       axis.key, axis.values.size(), zip_axes.front().key,
                       zip_axes.front().values.size()));
  // Counted before anything is expanded, so that a runaway grid costs nothing.
  std::size_t count = zip_axes.empty() ? 1 : zip_axes.front().values.size();
  const auto check_count = [&] {
    if (arms.size() + count > kMaxTrials)
      fail(block.location(),
           fmt::format("ablation: this block brings the arms to {} or more (already {} before it); "
                       "an experiment may hold at most {} trials (arms x seeds)",
                       arms.size() + count, arms.size(), kMaxTrials));
  };
  check_count();
  for (const Axis& axis : grid_axes) {
    count *= axis.values.size();
    check_count();
  }
  const std::string prefix = name ? name->text() : "";
  if (grid_axes.empty() && zip_axes.empty()) {
    if (prefix.empty())
      fail(block.location(), "ablation: an arm without grid or zip needs a 'name'");
    arms.push_back({prefix, {{"arm", prefix}}, shared});
    return;
  }
  for (const auto& row : combine(grid_axes, zip_axes)) {
    Arm arm{prefix, {}, shared};
    if (!prefix.empty()) arm.axes.emplace_back("arm", prefix);
    std::string values;
    for (const auto& [axis, index] : row) {
      const ConfigNode& value = axis->values[index];
      arm.axes.emplace_back(axis->key, label_text(value));
      arm.assignments.push_back({axis->key, axis->key_location, value});
      values += fmt::format("{}{}={}", values.empty() ? "" : ", ", axis->key, label_text(value));
    }
    arm.label = prefix.empty() ? values : fmt::format("{}: {}", prefix, values);
    arms.push_back(std::move(arm));
  }
}

}  // namespace

std::vector<Arm> expand_ablation(const ConfigNode* ablation) {
  if (ablation == nullptr || ablation->is_null()) return {{"base", {}, {}}};
  std::vector<Arm> arms;
  if (ablation->is_sequence()) {
    for (const ConfigNode& block : ablation->items()) expand_block(block, arms);
  } else {
    expand_block(*ablation, arms);
  }
  if (arms.empty()) return {{"base", {}, {}}};
  std::unordered_set<std::string> labels;
  for (const Arm& arm : arms)
    if (!labels.insert(arm.label).second)
      fail(ablation->location(),
           fmt::format("ablation: two arms are both called '{}'; give them distinct names",
                       arm.label));
  return arms;
}

}  // namespace attnlab
