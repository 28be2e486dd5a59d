#include "attnlab/run/plan_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "../experiment/tuning.hpp"
#include "attnlab/error.hpp"

namespace attnlab {
namespace {

const ConfigNode& required(const ConfigNode& node, const std::string& key,
                           const std::string& path) {
  const ConfigNode* found = node.is_map() ? node.find(key) : nullptr;
  if (found == nullptr)
    throw ConfigError(fmt::format("{}: no '{}' in {}: not a plan attnlab wrote",
                                  node.location().str(), key, path));
  return *found;
}

std::string scalar(const ConfigNode& node, const std::string& key, const std::string& path) {
  const ConfigNode& value = required(node, key, path);
  if (!value.is_scalar())
    throw ConfigError(fmt::format("{}: '{}' is not a value", value.location().str(), key));
  return value.text();
}

uint64_t whole_number(const ConfigNode& value, const std::string& key) {
  const std::string text = value.is_scalar() ? value.text() : "";
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), ::isdigit))
    throw ConfigError(fmt::format("{}: '{}' is '{}', expected a whole number",
                                  value.location().str(), key, text));
  return std::stoull(text);
}

uint64_t number(const ConfigNode& node, const std::string& key, const std::string& path) {
  return whole_number(required(node, key, path), key);
}

// The experiment after base: and overrides (what is rebuilt), and as it was
// given (the file's text and the -o overrides, which trial files quote).
constexpr const char* kExperimentKey = "experiment_yaml";
constexpr const char* kSourceKey = "experiment_source";
constexpr const char* kOverridesKey = "experiment_overrides";

// The tuning as the plan keeps it, for readers that do not rebuild the experiment.
constexpr const char* kTuneKey = "tune";

ConfigNode tuning_node(const Tuning& tuning) {
  ConfigNode node = ConfigNode::map();
  node.set("key", ConfigNode::scalar(tuning.key));
  ConfigNode values = ConfigNode::sequence();
  for (const std::string& value : tuning.values) values.push_back(ConfigNode::scalar(value));
  node.set("values", values);
  node.set("metric", ConfigNode::scalar(tuning.metric));
  node.set("lower_is_better", ConfigNode::scalar(tuning.lower_is_better ? "true" : "false"));
  ConfigNode seeds = ConfigNode::sequence();
  for (const uint64_t seed : tuning.seeds)
    seeds.push_back(ConfigNode::scalar(std::to_string(seed)));
  node.set("seeds", seeds);
  return node;
}

Tuning read_tuning(const ConfigNode& node, const std::string& path) {
  Tuning tuning;
  tuning.key = scalar(node, "key", path);
  const ConfigNode& values = required(node, "values", path);
  if (!values.is_sequence())
    throw ConfigError(fmt::format("{}: 'values' is not a list", values.location().str()));
  for (const ConfigNode& value : values.items()) tuning.values.push_back(value.text());
  tuning.metric = scalar(node, "metric", path);
  tuning.lower_is_better = scalar(node, "lower_is_better", path) == "true";
  const ConfigNode& seeds = required(node, "seeds", path);
  if (!seeds.is_sequence())
    throw ConfigError(fmt::format("{}: 'seeds' is not a list", seeds.location().str()));
  for (const ConfigNode& seed : seeds.items()) tuning.seeds.push_back(whole_number(seed, "seeds"));
  return tuning;
}

// The solved rule, for `attnlab compare` to count by it.
constexpr const char* kSolvedKey = "solved";

ConfigNode solved_node(const SolvedRule& rule) {
  ConfigNode node = ConfigNode::map();
  node.set("figure", ConfigNode::scalar(rule.figure));
  node.set("threshold", ConfigNode::scalar(fmt::format("{}", rule.threshold)));
  node.set("at_most", ConfigNode::scalar(rule.at_most ? "true" : "false"));
  return node;
}

SolvedRule read_solved(const ConfigNode& node, const std::string& path) {
  SolvedRule rule;
  rule.figure = scalar(node, "figure", path);
  const std::string threshold = scalar(node, "threshold", path);
  char* end = nullptr;
  rule.threshold = std::strtod(threshold.c_str(), &end);
  if (threshold.empty() || *end != '\0')
    throw ConfigError(
        fmt::format("{}: solved threshold '{}' is not a number", node.location().str(), threshold));
  rule.at_most = scalar(node, "at_most", path) == "true";
  return rule;
}

}  // namespace

std::string plan_fingerprint(const Experiment& experiment) {
  std::string plan;
  for (const Trial& trial : experiment.trials)
    plan += trial.tuned.empty()  // a tuned value is covered too: it decides what is reported
                ? fmt::format("{} {} {}\n", trial.index, trial.id, trial.arm)
                : fmt::format("{} {} {} {}\n", trial.index, trial.id, trial.arm, trial.tuned);
  if (const std::optional<Tuning>& t = experiment.tune)  // how the values are chosen
    plan += fmt::format("tune {} [{}] {} {} [{}]\n", t->key, fmt::join(t->values, " "), t->metric,
                        t->lower_is_better, fmt::join(t->seeds, " "));
  return config_hash(plan);
}

std::string plan_yaml(const Experiment& experiment) {
  ConfigNode plan = ConfigNode::map();
  plan.set("experiment", ConfigNode::scalar(experiment.name));
  plan.set("fingerprint", ConfigNode::scalar(plan_fingerprint(experiment)));
  plan.set(kExperimentKey, ConfigNode::scalar(to_yaml(experiment.resolved)));
  plan.set(kSourceKey, ConfigNode::scalar(experiment.source_text));
  ConfigNode overrides = ConfigNode::sequence();
  for (const std::string& assignment : experiment.overrides)
    overrides.push_back(ConfigNode::scalar(assignment));
  plan.set(kOverridesKey, overrides);
  ConfigNode trials = ConfigNode::sequence();
  for (const Trial& trial : experiment.trials) {
    ConfigNode row = ConfigNode::map();
    row.set("index", ConfigNode::scalar(std::to_string(trial.index)));
    row.set("id", ConfigNode::scalar(trial.id));
    row.set("arm", ConfigNode::scalar(trial.arm));
    row.set("seed", ConfigNode::scalar(std::to_string(trial.seed)));
    if (experiment.tune) row.set("tuned", ConfigNode::scalar(trial.tuned));
    trials.push_back(row);
  }
  if (experiment.tune) plan.set(kTuneKey, tuning_node(*experiment.tune));
  if (experiment.solved) plan.set(kSolvedKey, solved_node(*experiment.solved));
  plan.set("trials", trials);
  return to_yaml(plan);
}

Experiment read_plan(const OutputLayout& layout) {
  const std::string path = layout.plan().string();
  if (!std::filesystem::is_regular_file(layout.plan()))
    throw ConfigError(fmt::format(
        "{}: no plan.yaml there: not an output directory of 'attnlab run' (or nothing has run "
        "in it yet)",
        layout.dir().string()));
  const ConfigNode plan = load_yaml_file(path, kWrittenYamlBounds);
  Experiment experiment;
  experiment.name = scalar(plan, "experiment", path);
  experiment.output_dir = layout.dir().string();
  scalar(plan, "fingerprint", path);
  if (const ConfigNode* tune = plan.find(kTuneKey)) experiment.tune = read_tuning(*tune, path);
  if (const ConfigNode* solved = plan.find(kSolvedKey))
    experiment.solved = read_solved(*solved, path);
  const ConfigNode& trials = required(plan, "trials", path);
  if (!trials.is_sequence()) throw ConfigError(fmt::format("{}: 'trials' is not a list", path));
  for (const ConfigNode& row : trials.items()) {
    Trial trial;
    trial.index = static_cast<int64_t>(number(row, "index", path));
    trial.id = scalar(row, "id", path);
    trial.arm = scalar(row, "arm", path);
    trial.seed = number(row, "seed", path);
    if (experiment.tune) {
      trial.tuned = scalar(row, "tuned", path);
      const std::vector<std::string>& values = experiment.tune->values;
      if (std::find(values.begin(), values.end(), trial.tuned) == values.end())
        throw ConfigError(
            fmt::format("{}: trial {} has tuned value '{}', not one of the "
                        "plan's: the plan was edited by hand",
                        path, trial.index, trial.tuned));
    }
    if (std::find(experiment.arms.begin(), experiment.arms.end(), trial.arm) ==
        experiment.arms.end())
      experiment.arms.push_back(trial.arm);
    experiment.trials.push_back(std::move(trial));
  }
  if (plan_fingerprint(experiment) != scalar(plan, "fingerprint", path))
    throw ConfigError(fmt::format(
        "{}: its trials do not match its fingerprint: the plan was edited by hand", path));
  return experiment;
}

Experiment planned_experiment(const OutputLayout& layout, const ValidationLimits& limits) {
  const Experiment plan = read_plan(layout);
  const std::string path = layout.plan().string();
  const ConfigNode file = load_yaml_file(path, kWrittenYamlBounds);
  const ConfigNode* kept = file.find(kExperimentKey);
  if (kept == nullptr || !kept->is_scalar())
    throw ConfigError(fmt::format(
        "{}: written by an attnlab that did not keep the experiment in its plan; run the "
        "experiment file once with -o output={} (finished trials are kept) to rewrite it",
        path, layout.dir().string()));
  ConfigNode document = parse_yaml(kept->text(), path + " (" + kExperimentKey + ")");
  if (!document.is_map())
    throw ConfigError(fmt::format("{}: '{}' is not an experiment", path, kExperimentKey));
  document.set("output", ConfigNode::scalar(std::filesystem::absolute(layout.dir()).string()));
  // Plans written before 2026-12-07 kept the tuned key's default, which no trial used.
  if (const std::optional<Tuning> tune = parse_tune(document.find("tune")))
    erase_tuned_key(document, tune->key);
  // Named after the plan's experiment, as the file it came from was.
  Experiment experiment = experiment_from_text(to_yaml(document), plan.name + ".yaml", {}, limits);
  if (plan_fingerprint(experiment) != plan_fingerprint(plan))
    throw ConfigError(fmt::format(
        "{}: the experiment it keeps no longer expands to its trials (a plugin or a default "
        "of this build changed a trial's configuration); run it with the build that planned "
        "it, or plan it anew in another directory",
        path));
  experiment.name = plan.name;
  experiment.path = path;
  if (const ConfigNode* source = file.find(kSourceKey); source && source->is_scalar())
    experiment.source_text = source->text();
  experiment.overrides.clear();
  if (const ConfigNode* overrides = file.find(kOverridesKey); overrides && overrides->is_sequence())
    for (const ConfigNode& assignment : overrides->items())
      experiment.overrides.push_back(assignment.text());
  return experiment;
}

bool is_plan_file(const std::string& path) {
  try {
    const ConfigNode plan = load_yaml_file(path, kWrittenYamlBounds);
    return plan.is_map() && plan.find("experiment") && plan.find("fingerprint") &&
           plan.find("trials") && plan.find("fingerprint")->is_scalar();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace attnlab
