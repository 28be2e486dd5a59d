#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/run/trial_runner.hpp"

namespace attnlab {
namespace {

std::string overrides_comment(const std::vector<std::string>& overrides) {
  std::string text;
  for (const std::string& assignment : overrides) text += fmt::format("# -o {}\n", assignment);
  return text.empty() ? "" : "# command-line overrides:\n" + text;
}

const ConfigNode& required(const ConfigNode& node, const std::string& key,
                           const std::string& path) {
  const ConfigNode* value = node.at_path(key);
  if (value == nullptr)
    throw ConfigError(fmt::format("{}: not a trial ticket: no '{}'", path, key));
  return *value;
}

}  // namespace

TrialTicket make_ticket(const Experiment& experiment, const Trial& trial) {
  return {experiment.name, experiment.source_text + overrides_comment(experiment.overrides),
          to_yaml(experiment.resolved), trial};
}

std::string ticket_to_yaml(const TrialTicket& ticket) {
  ConfigNode root = ConfigNode::map();
  root.set("experiment", ConfigNode::scalar(ticket.experiment));
  root.set("given_yaml", ConfigNode::scalar(ticket.given_yaml));
  root.set("resolved_yaml", ConfigNode::scalar(ticket.resolved_yaml));
  const Trial& trial = ticket.trial;
  root.set("index", ConfigNode::scalar(std::to_string(trial.index)));
  root.set("id", ConfigNode::scalar(trial.id));
  root.set("arm", ConfigNode::scalar(trial.arm));
  root.set("seed", ConfigNode::scalar(std::to_string(trial.seed)));
  ConfigNode axes = ConfigNode::map();
  for (const auto& [key, value] : trial.axes) axes.set(key, ConfigNode::scalar(value));
  root.set("axes", axes);
  root.set("config", trial.config);
  return to_yaml(root);
}

TrialTicket read_ticket(const std::string& path) {
  const ConfigNode root = load_yaml_file(path, kWrittenYamlBounds);
  TrialTicket ticket;
  ticket.experiment = required(root, "experiment", path).text();
  ticket.given_yaml = required(root, "given_yaml", path).text();
  ticket.resolved_yaml = required(root, "resolved_yaml", path).text();
  Trial& trial = ticket.trial;
  trial.index = std::stoll(required(root, "index", path).text());
  trial.id = required(root, "id", path).text();
  trial.arm = required(root, "arm", path).text();
  trial.seed = std::stoull(required(root, "seed", path).text());
  for (const ConfigNode::Entry& entry : required(root, "axes", path).entries())
    trial.axes.emplace_back(entry.key, entry.value.text());
  trial.config = required(root, "config", path);
  if (config_hash(to_yaml(trial.config)) != trial.id)
    throw ConfigError(
        fmt::format("{}: the configuration does not hash to the trial id {} (edited by hand?)",
                    path, trial.id));
  return ticket;
}

}  // namespace attnlab
