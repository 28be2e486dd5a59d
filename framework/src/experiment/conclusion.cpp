#include "conclusion.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {
namespace {

[[noreturn]] void fail(const ConfigNode& node, const std::string& key, const std::string& what) {
  throw ConfigError(fmt::format("{}: conclusion.{}: {}", node.location().str(), key, what));
}

const std::string& text_at(const ConfigNode& block, const std::string& key) {
  const ConfigNode* value = block.find(key);
  if (value == nullptr) fail(block, key, "missing; expected " + key + ": ...");
  if (!value->is_scalar())
    fail(*value, key, fmt::format("found {}, expected text", value->describe()));
  return value->text();
}

// A name from `choices`, or an error listing them.
const std::string& one_of(const ConfigNode& node, const std::string& key, const std::string& name,
                          const std::vector<std::string>& choices) {
  const auto found = std::find(choices.begin(), choices.end(), name);
  if (found == choices.end()) {
    const std::string suggestion = closest_match(name, choices);
    fail(node, key,
         fmt::format("found '{}'{}, expected one of: {}", name,
                     suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                     fmt::join(choices, " | ")));
  }
  return *found;
}

}  // namespace

std::optional<Conclusion> parse_conclusion(const ConfigNode* block,
                                           const std::vector<std::string>& arms,
                                           const std::vector<int64_t>& eval_lengths) {
  if (block == nullptr) return std::nullopt;
  if (!block->is_map())
    fail(*block, "(block)",
         fmt::format("found {}, expected a block of figure, baseline and optionally versus",
                     block->describe()));
  for (const ConfigNode::Entry& entry : block->entries())
    if (entry.key != "figure" && entry.key != "baseline" && entry.key != "versus")
      fail(entry.value, entry.key, "unknown key; a conclusion takes figure, baseline, versus");
  // The figures a trial file's final group holds, and which way is better for each.
  std::vector<std::string> figures{"train_loss"};
  std::vector<std::string> lower_better{"train_loss"};
  for (std::size_t i = 0; i < eval_lengths.size(); ++i)
    for (const Evaluation::Metric& metric : Evaluation::metrics()) {
      const std::string name =
          fmt::format("eval_{}{}", metric.name, i == 0 ? "" : fmt::format("@{}", eval_lengths[i]));
      figures.push_back(name);
      if (metric.lower_is_better) lower_better.push_back(name);
    }
  Conclusion conclusion;
  const std::string& figure = text_at(*block, "figure");
  conclusion.figure = one_of(*block->find("figure"), "figure", figure, figures);
  conclusion.lower_is_better =
      std::find(lower_better.begin(), lower_better.end(), conclusion.figure) != lower_better.end();
  const std::string& baseline = text_at(*block, "baseline");
  conclusion.baseline = one_of(*block->find("baseline"), "baseline", baseline, arms);
  if (const ConfigNode* versus = block->find("versus")) {
    const std::vector<ConfigNode> items =
        versus->is_sequence() ? versus->items() : std::vector<ConfigNode>{*versus};
    for (const ConfigNode& item : items) {
      if (!item.is_scalar()) fail(item, "versus", "expected arm labels");
      conclusion.versus.push_back(one_of(item, "versus", item.text(), arms));
    }
  } else {
    for (const std::string& arm : arms)
      if (arm != conclusion.baseline) conclusion.versus.push_back(arm);
  }
  for (const std::string& arm : conclusion.versus)
    if (arm == conclusion.baseline)
      fail(*block->find("baseline"), "versus", fmt::format("'{}' is the baseline itself", arm));
  if (conclusion.versus.empty())
    fail(*block, "versus", "no arm to compare with the baseline (the ablation has one arm)");
  return conclusion;
}

}  // namespace attnlab
