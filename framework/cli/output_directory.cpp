#include "output_directory.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace attnlab::cli {
namespace {

std::string fingerprint(const Experiment& experiment) {
  std::string plan;
  for (const Trial& trial : experiment.trials)
    plan += fmt::format("{} {} {}\n", trial.index, trial.id, trial.arm);
  return config_hash(plan);
}

std::string plan_yaml(const Experiment& experiment) {
  ConfigNode plan = ConfigNode::map();
  plan.set("experiment", ConfigNode::scalar(experiment.name));
  plan.set("fingerprint", ConfigNode::scalar(fingerprint(experiment)));
  ConfigNode trials = ConfigNode::sequence();
  for (const Trial& trial : experiment.trials) {
    ConfigNode row = ConfigNode::map();
    row.set("index", ConfigNode::scalar(std::to_string(trial.index)));
    row.set("id", ConfigNode::scalar(trial.id));
    row.set("arm", ConfigNode::scalar(trial.arm));
    row.set("seed", ConfigNode::scalar(std::to_string(trial.seed)));
    trials.push_back(row);
  }
  plan.set("trials", trials);
  return to_yaml(plan);
}

// Moves what belongs to another plan out of the way (never deletes).
void supersede(const OutputLayout& layout, const Experiment& experiment) {
  std::set<std::string> ids;
  for (const Trial& trial : experiment.trials) ids.insert(trial.id);
  const fs::path aside =
      layout.dir() / "superseded" /
      fmt::format("{}", std::chrono::system_clock::now().time_since_epoch().count());
  fs::create_directories(aside / "trials");
  for (const auto& entry : fs::directory_iterator(layout.trials())) {
    const std::string name = entry.path().filename().string();
    if (!ids.count(name.substr(0, name.find('.'))))
      fs::rename(entry.path(), aside / "trials" / name);
  }
  for (const char* name : {"plan.yaml", "results.h5", "results.csv", "trials.csv", "results.md"})
    if (fs::exists(layout.dir() / name)) fs::rename(layout.dir() / name, aside / name);
}

}  // namespace

void prepare_output_directory(const Experiment& experiment, const OutputLayout& layout,
                              bool force) {
  fs::create_directories(layout.trials());
  remove_abandoned_temporaries(layout.trials());  // left by a killed run on this host
  remove_abandoned_temporaries(layout.dir());
  if (fs::exists(layout.plan())) {
    const ConfigNode old = load_yaml_file(layout.plan().string(), kWrittenYamlBounds);
    const ConfigNode* old_fingerprint = old.find("fingerprint");
    if (old_fingerprint == nullptr || old_fingerprint->text() != fingerprint(experiment)) {
      if (!force)
        throw ConfigError(fmt::format(
            "{} holds the results of another plan of experiment '{}' (the configuration, arms "
            "or seeds changed); results of different configurations are never mixed. Choose "
            "another directory (-o output=...), or pass --force to move the trials not in this "
            "plan to {}/superseded/",
            layout.dir().string(), old.find("experiment") ? old.find("experiment")->text() : "?",
            layout.dir().string()));
      supersede(layout, experiment);
    }
  }
  write_file_atomically(layout.plan(), plan_yaml(experiment));
}

}  // namespace attnlab::cli
