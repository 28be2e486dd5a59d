#include "conclusion.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "attnlab/error.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab {
namespace {

[[noreturn]] void fail(const ConfigNode& node, const std::string& key, const std::string& what) {
  throw ConfigError(fmt::format("{}: {}: {}", node.location().str(),
                                key.empty() ? "conclusion" : "conclusion." + key, what));
}

const ConfigNode& scalar_at(const ConfigNode& block, const std::string& key) {
  const ConfigNode* value = block.find(key);
  if (value == nullptr) fail(block, key, fmt::format("missing; expected {}: ...", key));
  if (!value->is_scalar())
    fail(*value, key, fmt::format("found {}, expected text", value->describe()));
  return *value;
}

// `name` if it is one of `choices`, else an error listing them.
std::string one_of(const ConfigNode& node, const std::string& key,
                   const std::vector<std::string>& choices) {
  const std::string& name = node.text();
  if (std::find(choices.begin(), choices.end(), name) != choices.end()) return name;
  const std::string suggestion = closest_match(name, choices);
  fail(node, key,
       fmt::format("found '{}'{}, expected one of: {}", name,
                   suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                   fmt::join(choices, " | ")));
}

// The final figures a trial of `spec` measures, each with whether lower is better.
std::map<std::string, bool> measured_figures(const TrialSpec& spec) {
  std::map<std::string, bool> figures{{kTrainLossFigure, true}};
  const int64_t trained = spec.train.eval_lengths.front();
  const bool generates = spec.train.generation_batches > 0 && spec.shape != ModelShape::encoder;
  std::vector<Evaluation> evaluations;
  for (const int64_t length : spec.train.eval_lengths)
    evaluations.push_back({.setting = "", .length = length});
  for (const TaskSetting& setting : spec.eval_settings)
    evaluations.push_back({.setting = setting.name, .length = 0});
  for (const Evaluation& evaluation : evaluations)
    for (const Evaluation::Metric& metric : Evaluation::metrics())
      if (!metric.optional || generates)
        figures[final_figure_name(metric, evaluation, trained)] = metric.lower_is_better;
  return figures;
}

const Trial& first_trial_of(const Experiment& experiment, const std::string& arm) {
  return *std::find_if(experiment.trials.begin(), experiment.trials.end(),
                       [&](const Trial& t) { return t.arm == arm; });
}

}  // namespace

std::optional<Conclusion> parse_conclusion(const ConfigNode* block, const Experiment& experiment) {
  if (block == nullptr) return std::nullopt;
  if (!block->is_map())
    fail(*block, "",
         fmt::format("found {}, expected a block of figure, baseline and optionally versus",
                     block->describe()));
  for (const ConfigNode::Entry& entry : block->entries())
    if (entry.key != "figure" && entry.key != "baseline" && entry.key != "versus")
      fail(entry.value, entry.key, "unknown key; a conclusion takes figure, baseline, versus");
  Conclusion conclusion;
  const ConfigNode& baseline = scalar_at(*block, "baseline");
  conclusion.baseline = one_of(baseline, "baseline", experiment.arms);
  std::vector<const ConfigNode*> versus_nodes;
  if (const ConfigNode* versus = block->find("versus")) {
    if (versus->is_scalar())
      versus_nodes.push_back(versus);
    else if (versus->is_sequence())
      for (const ConfigNode& item : versus->items()) versus_nodes.push_back(&item);
    else
      fail(*versus, "versus",
           fmt::format("found {}, expected an arm label or a list of them", versus->describe()));
    if (versus_nodes.empty()) fail(*versus, "versus", "found an empty list, expected arm labels");
    for (const ConfigNode* item : versus_nodes) {
      if (!item->is_scalar())
        fail(*item, "versus", fmt::format("found {}, expected an arm label", item->describe()));
      const std::string arm = one_of(*item, "versus", experiment.arms);
      if (arm == conclusion.baseline)
        fail(*item, "versus", fmt::format("'{}' is the baseline", arm));
      if (std::find(conclusion.versus.begin(), conclusion.versus.end(), arm) !=
          conclusion.versus.end())
        fail(*item, "versus", fmt::format("'{}' is listed twice", arm));
      conclusion.versus.push_back(arm);
    }
  } else {
    for (const std::string& arm : experiment.arms)
      if (arm != conclusion.baseline) conclusion.versus.push_back(arm);
    if (conclusion.versus.empty())
      fail(*block, "", "the ablation has one arm: there is nothing to compare it with");
  }
  const ConfigNode& figure = scalar_at(*block, "figure");
  std::vector<std::string> arms{conclusion.baseline};
  arms.insert(arms.end(), conclusion.versus.begin(), conclusion.versus.end());
  for (const std::string& arm : arms) {
    const std::map<std::string, bool> measured =
        measured_figures(build_trial(first_trial_of(experiment, arm).config).spec);
    std::vector<std::string> names;
    for (const auto& [name, lower] : measured) names.push_back(name);
    try {
      conclusion.figure = one_of(figure, "figure", names);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{} (the figures arm '{}' measures)", e.what(), arm));
    }
    conclusion.lower_is_better = measured.at(conclusion.figure);
  }
  return conclusion;
}

}  // namespace attnlab
