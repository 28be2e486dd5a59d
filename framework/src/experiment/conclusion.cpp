#include "conclusion.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "attnlab/error.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/registry/parameters.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/train/trainer.hpp"
#include "schema.hpp"

namespace attnlab {
namespace {

// `key` of a block: "conclusion.figure", or the block's own name for "".
struct BlockKey {
  const char* block;
  std::string key;
  std::string str() const { return key.empty() ? block : fmt::format("{}.{}", block, key); }
};

[[noreturn]] void fail(const ConfigNode& node, const BlockKey& key, const std::string& what) {
  throw ConfigError(fmt::format("{}: {}: {}", node.location().str(), key.str(), what));
}
[[noreturn]] void fail(const ConfigNode& node, const std::string& key, const std::string& what) {
  fail(node, BlockKey{"conclusion", key}, what);
}

const ConfigNode& scalar_at(const ConfigNode& block, const BlockKey& key) {
  const ConfigNode* value = block.find(key.key);
  if (value == nullptr) fail(block, key, fmt::format("missing; expected {}: ...", key.key));
  if (!value->is_scalar())
    fail(*value, key, fmt::format("found {}, expected text", value->describe()));
  return *value;
}
const ConfigNode& scalar_at(const ConfigNode& block, const std::string& key) {
  return scalar_at(block, BlockKey{"conclusion", key});
}

// `name` if it is one of `choices`, else an error listing them.
std::string one_of(const ConfigNode& node, const BlockKey& key,
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
  if (spec.train.validation_batches > 0)
    evaluations.push_back({.setting = kValidationSetting, .length = 0});
  for (const Evaluation& evaluation : evaluations)
    for (const Evaluation::Metric& metric : Evaluation::metrics())
      if (!metric.optional || (generates && evaluation.setting != kValidationSetting))
        figures[final_figure_name(metric, evaluation, trained)] = metric.lower_is_better;
  return figures;
}

std::string one_of(const ConfigNode& node, const std::string& key,
                   const std::vector<std::string>& choices) {
  return one_of(node, BlockKey{"conclusion", key}, choices);
}

const Trial& first_trial_of(const Experiment& experiment, const std::string& arm) {
  return *std::find_if(experiment.trials.begin(), experiment.trials.end(),
                       [&](const Trial& t) { return t.arm == arm; });
}

// The figures every trial of the experiment measures (an arm's first trial
// stands for its seeds).
std::vector<std::string> figures_of_every_arm(const Experiment& experiment) {
  std::vector<std::string> common;
  for (std::size_t a = 0; a < experiment.arms.size(); ++a) {
    std::vector<std::string> names;
    for (const auto& [name, lower] :
         measured_figures(build_trial(first_trial_of(experiment, experiment.arms[a]).config).spec))
      if (a == 0 || std::find(common.begin(), common.end(), name) != common.end())
        names.push_back(name);
    common = std::move(names);
  }
  return common;
}

// Under tune:, the validation figures are what selected each arm's value: a
// conclusion on them would test the very figure the selection maximised.
void refuse_selection_figure(const ConfigNode& node, const BlockKey& key, const std::string& figure,
                             const Experiment& experiment) {
  if (experiment.tune && parse_figure_name(figure).setting == kValidationSetting)
    fail(node, key,
         fmt::format("{} is what tune: selects each arm's value on, so it is biased at the "
                     "selected value; use the test figure ({})",
                     figure, figure.substr(0, figure.find('['))));
}

}  // namespace

std::string SolvedRule::describe() const {
  return fmt::format("{} {} {}", figure, at_most ? "<=" : ">=", threshold);
}

std::optional<SolvedRule> parse_solved(const ConfigNode* block, const Experiment& experiment) {
  if (schema::switched_off(block)) return std::nullopt;
  const auto key = [](std::string name) { return BlockKey{"solved", std::move(name)}; };
  if (!block->is_map())
    fail(*block, key(""),
         fmt::format("found {}, expected a block: figure, and at_least or at_most",
                     block->describe()));
  for (const ConfigNode::Entry& entry : block->entries())
    if (entry.key != "figure" && entry.key != "at_least" && entry.key != "at_most")
      fail(entry.value, key(entry.key), "unknown key; solved takes figure, at_least, at_most");
  SolvedRule rule;
  rule.figure =
      one_of(scalar_at(*block, key("figure")), key("figure"), figures_of_every_arm(experiment));
  refuse_selection_figure(*block->find("figure"), key("figure"), rule.figure, experiment);
  const ConfigNode* at_least = block->find("at_least");
  const ConfigNode* at_most = block->find("at_most");
  if ((at_least == nullptr) == (at_most == nullptr))
    fail(*block, key(""),
         fmt::format("found {}, expected exactly one of at_least and at_most",
                     at_least ? "both" : "neither"));
  rule.at_most = at_most != nullptr;
  const BlockKey bound = key(rule.at_most ? "at_most" : "at_least");
  const std::string& text = scalar_at(*block, bound).text();
  char* end = nullptr;
  rule.threshold = std::strtod(text.c_str(), &end);
  const FigureMeaning meaning = figure_meaning(rule.figure);
  if (text.empty() || *end != '\0' || !std::isfinite(rule.threshold) ||
      !meaning.contains(rule.threshold))
    fail(*block->find(bound.key), bound,
         fmt::format("found '{}', expected a {}number in [{}, {}], the range of {}", text,
                     std::isinf(meaning.high) ? "finite " : "", meaning.low, meaning.high,
                     rule.figure));
  const bool lower_is_better = meaning.better == Better::lower;
  if (meaning.better != Better::neither && rule.at_most != lower_is_better)
    fail(
        *block->find(bound.key), bound,
        fmt::format("{} is better {}: a seed solves it at {} a threshold (use {})", rule.figure,
                    lower_is_better ? "lower" : "higher", lower_is_better ? "or below" : "or above",
                    lower_is_better ? "at_most" : "at_least"));
  return rule;
}

std::optional<Conclusion> parse_conclusion(const ConfigNode* block, const Experiment& experiment) {
  if (schema::switched_off(block)) return std::nullopt;
  if (!block->is_map())
    fail(*block, "",
         fmt::format("found {}, expected a block of figure, baseline and optionally versus "
                     "and paired",
                     block->describe()));
  for (const ConfigNode::Entry& entry : block->entries())
    if (entry.key != "figure" && entry.key != "baseline" && entry.key != "versus" &&
        entry.key != "paired")
      fail(entry.value, entry.key,
           "unknown key; a conclusion takes figure, baseline, versus, paired");
  Conclusion conclusion;
  if (const ConfigNode* paired = block->find("paired")) {
    const auto value = paired->is_scalar()
                           ? parse_parameter_value(ParameterType::boolean, paired->text())
                           : std::nullopt;
    if (!value)
      fail(*paired, "paired",
           fmt::format("found {}, expected true (seed by seed: paired t) or false (Welch)",
                       paired->describe()));
    conclusion.paired = std::get<bool>(*value);
  }
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
  refuse_selection_figure(figure, BlockKey{"conclusion", "figure"}, conclusion.figure, experiment);
  return conclusion;
}

}  // namespace attnlab
