#include "attnlab/run/plan_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

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

uint64_t number(const ConfigNode& node, const std::string& key, const std::string& path) {
  const std::string text = scalar(node, key, path);
  if (text.empty() || !std::all_of(text.begin(), text.end(), ::isdigit))
    throw ConfigError(fmt::format("{}: '{}' is '{}', expected a whole number",
                                  required(node, key, path).location().str(), key, text));
  return std::stoull(text);
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
  return tuning;
}

}  // namespace

std::string plan_fingerprint(const Experiment& experiment) {
  std::string plan;
  for (const Trial& trial : experiment.trials)
    plan += fmt::format("{} {} {}\n", trial.index, trial.id, trial.arm);
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
  const ConfigNode& trials = required(plan, "trials", path);
  if (!trials.is_sequence()) throw ConfigError(fmt::format("{}: 'trials' is not a list", path));
  for (const ConfigNode& row : trials.items()) {
    Trial trial;
    trial.index = static_cast<int64_t>(number(row, "index", path));
    trial.id = scalar(row, "id", path);
    trial.arm = scalar(row, "arm", path);
    trial.seed = number(row, "seed", path);
    if (experiment.tune) trial.tuned = scalar(row, "tuned", path);
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
