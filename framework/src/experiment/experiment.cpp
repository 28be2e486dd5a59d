#include "attnlab/experiment/experiment.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "ablation.hpp"
#include "attnlab/error.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/plugin.hpp"
#include "conclusion.hpp"
#include "schema.hpp"
#include "trial_check.hpp"
#include "tuning.hpp"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const SourceLocation& where, const std::string& key,
                       const std::string& message) {
  throw ConfigError(fmt::format("{}: {}: {}", where.str(), key, message));
}

// The document's `plugins` list, each item replaced by what `find` (locate_plugin
// or load_plugin) returns for it: the absolute path of its file. Relative
// names are the file's, whose folder is `folder`.
void rewrite_plugins(ConfigNode& document, const fs::path& folder,
                     fs::path (*find)(const std::string& path,
                                      const std::filesystem::path& relative_to)) {
  ConfigNode* plugins = document.find("plugins");
  if (plugins == nullptr) return;
  schema::check_value(schema::trial_keys().front(), *plugins);
  ConfigNode found = ConfigNode::sequence(plugins->location());
  for (const ConfigNode& item : plugins->items()) {
    try {
      found.push_back(ConfigNode::scalar(find(item.text(), folder).string(), item.location()));
    } catch (const ConfigError& e) {
      fail(item.location(), "plugins", e.what());
    }
  }
  *plugins = std::move(found);
}

// A path of train.init_from (a scalar, or each of a list's) made absolute
// against `folder` and normal, so that the plan, a SLURM job and an MPI rank
// read the same file from wherever they run.
ConfigNode anchored_path(const ConfigNode& value, const fs::path& folder) {
  if (value.is_sequence()) {
    ConfigNode list = ConfigNode::sequence(value.location());
    for (const ConfigNode& item : value.items()) list.push_back(anchored_path(item, folder));
    return list;
  }
  if (!value.is_scalar() || value.text().empty()) return value;
  const fs::path path(value.text());
  return ConfigNode::scalar((path.is_absolute() ? path : folder / path).lexically_normal().string(),
                            value.location());
}

// `node` with every train.init_from in it anchored (anchored_path): under
// train:, and as a dotted key wherever one is written (ablation arms, tune:).
ConfigNode with_init_from_anchored(const ConfigNode& node, const fs::path& folder,
                                   bool in_train = false) {
  if (node.is_sequence()) {
    ConfigNode list = ConfigNode::sequence(node.location());
    for (const ConfigNode& item : node.items())
      list.push_back(with_init_from_anchored(item, folder));
    return list;
  }
  if (!node.is_map()) return node;
  ConfigNode map = ConfigNode::map(node.location());
  for (const ConfigNode::Entry& entry : node.entries()) {
    const bool names_it = entry.key == "train.init_from" || (in_train && entry.key == "init_from");
    map.append(entry.key,
               names_it ? anchored_path(entry.value, folder)
                        : with_init_from_anchored(entry.value, folder, entry.key == "train"),
               entry.key_location);
  }
  return map;
}

// `document` (read from `path`) with its `base:` chain merged underneath it.
ConfigNode with_bases(const fs::path& path, ConfigNode document, std::vector<fs::path>& chain) {
  std::error_code unresolvable;  // e.g. /dev/fd/63 of a shell's <(...): named as given
  fs::path canonical = fs::weakly_canonical(path, unresolvable);
  if (unresolvable) canonical = fs::absolute(path).lexically_normal();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::vector<std::string> names;
    for (const fs::path& file : chain) names.push_back(file.string());
    throw ConfigError(fmt::format("{}: base: files inherit from each other in a cycle ({} -> {})",
                                  path.string(), fmt::join(names, " -> "), canonical.string()));
  }
  chain.push_back(canonical);
  if (document.is_null())  // `{}` is an experiment of defaults; nothing at all is a mistake
    throw ConfigError(fmt::format(
        "{}: the file holds no YAML (empty, or only comments: a truncated save?); write {{}} for "
        "an experiment of all defaults",
        path.string()));
  if (!document.is_map())
    fail(document.location(), "(top level)",
         fmt::format("found {}, expected a map of sections (model:, train:, ...)",
                     document.describe()));
  // Only located: the merged document decides which are loaded (relative to the file naming them).
  rewrite_plugins(document, fs::absolute(path).parent_path(), locate_plugin);
  document = with_init_from_anchored(document, fs::absolute(path).parent_path());
  const ConfigNode* base = document.find("base");
  if (base == nullptr) return document;
  if (!base->is_scalar()) fail(base->location(), "base", "expected the path of a YAML file");
  const fs::path base_path = path.parent_path() / base->text();
  std::error_code unusable;  // e.g. a name longer than the file system allows
  if (!fs::exists(base_path, unusable))
    fail(base->location(), "base",
         fmt::format("file '{}' {}", base_path.string(),
                     unusable ? "cannot be used: " + unusable.message() : "does not exist"));
  ConfigNode merged = with_bases(base_path, load_yaml_file(base_path.string()), chain);
  // What names an experiment is each file's own: a child of the same base gets
  // its own name and output folder, not its base's.
  for (const char* own : {"base", "name", "description", "output"}) merged.erase(own);
  document.erase("base");
  merged.merge(document);
  return merged;
}

void apply_override(ConfigNode& document, const std::string& assignment) {
  const SourceLocation where{SourceLocation::command_line(assignment), 0, 0};
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ConfigError(
        fmt::format("{}: expected -o dotted.key=value, e.g. -o model.d_model=64", where.str()));
  if (assignment.substr(0, equals) == "base")
    throw ConfigError(
        fmt::format("{}: base: cannot be overridden (files are merged before -o); "
                    "write a file with base: instead",
                    where.str()));
  ConfigNode value = parse_yaml(assignment.substr(equals + 1), where.file);
  if (value.is_null()) value = ConfigNode::scalar("", value.location());
  const std::string key = assignment.substr(0, equals);
  // tune:'s own keys are dotted (tune: {train.lr: [...]}): after "tune." the rest is one key.
  const std::string tune_prefix = "tune.";
  if (key.rfind(tune_prefix, 0) == 0 && key.find('.', tune_prefix.size()) != std::string::npos) {
    ConfigNode* tune = document.find("tune");
    if (tune == nullptr || tune->is_null() || (tune->is_scalar() && tune->text().empty())) {
      document.set("tune", ConfigNode::map(where), where);
      tune = document.find("tune");
    }
    if (!tune->is_map())
      throw ConfigError(fmt::format("{}: cannot set '{}' inside 'tune', which is {} (at {})",
                                    where.str(), key.substr(tune_prefix.size()), tune->describe(),
                                    tune->location().str()));
    tune->set(key.substr(tune_prefix.size()), std::move(value), where);
    return;
  }
  // -o train.init_from=PATH: relative to the working folder.
  ConfigNode assigned = ConfigNode::map(where);
  assigned.append(key, std::move(value), where);
  value = std::move(*with_init_from_anchored(assigned, fs::current_path()).find(key));
  document.set_path(key, std::move(value), where);
}

void check_experiment_keys(const ConfigNode& document) {
  std::vector<std::string> known{"plugins", "model", "train", "eval", "record"};
  for (const auto& section : schema::component_sections()) known.push_back(section.section);
  for (const auto& spec : schema::experiment_keys()) known.push_back(spec.path);
  for (const ConfigNode::Entry& entry : document.entries()) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    const std::string suggestion = closest_match(entry.key, known);
    fail(entry.key_location, entry.key,
         fmt::format("unknown key{}; an experiment takes: {}",
                     suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                     fmt::join(known, ", ")));
  }
  for (const char* key : {"name", "description", "output"})
    if (const ConfigNode* value = document.find(key); value && !value->is_scalar())
      fail(value->location(), key, fmt::format("found {}, expected text", value->describe()));
}

// A name is a name: it becomes a folder under runs/, so it must not lead elsewhere.
void check_name(const std::string& name, const ConfigNode* written) {
  const bool control = std::any_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (!name.empty() && name.size() <= 200 && name != "." && name != ".." &&
      name.find_first_of("/\\") == std::string::npos && !control)
    return;
  const std::string problem = fmt::format(
      "found '{}', expected a plain name of at most 200 bytes (no '/' or '\\', not '.' or "
      "'..', no control characters): it names the folder runs/<name>; use output: to write "
      "elsewhere",
      name);
  if (written != nullptr) fail(written->location(), "name", problem);
  throw ConfigError(
      fmt::format("the experiment's name, from its file name: {}; set name:", problem));
}

// The seeds every arm repeats over; empty without `seeds:` (each arm then runs
// once with its train.seed, checked with the rest of the trial).
std::vector<uint64_t> seeds_of(const ConfigNode& document) {
  const ConfigNode* seeds = document.find("seeds");
  if (seeds == nullptr) return {};
  const std::string too_many =
      fmt::format("at most {} (an experiment holds at most {} trials)", kMaxTrials, kMaxTrials);
  if (seeds->is_scalar()) {
    const auto count = parse_parameter_value(ParameterType::integer, seeds->text());
    if (!count || std::get<int64_t>(*count) < 1 ||
        std::get<int64_t>(*count) > static_cast<int64_t>(kMaxTrials))
      fail(seeds->location(), "seeds",
           fmt::format("found {}, expected a count >= 1 ({}) or a list of seeds", seeds->describe(),
                       too_many));
    std::vector<uint64_t> all;
    for (int64_t i = 0; i < std::get<int64_t>(*count); ++i) all.push_back(static_cast<uint64_t>(i));
    return all;
  }
  const schema::KeySpec& list_spec =
      *std::find_if(schema::experiment_keys().begin(), schema::experiment_keys().end(),
                    [](const schema::KeySpec& spec) { return spec.path == "seeds"; });
  if (seeds->is_sequence() && seeds->items().size() > kMaxTrials)
    fail(seeds->location(), "seeds",
         fmt::format("found a list of {} seeds, expected {}", seeds->items().size(), too_many));
  schema::check_value(list_spec, *seeds);
  std::vector<uint64_t> all;
  std::unordered_set<uint64_t> seen;
  for (const ConfigNode& item : seeds->items()) {
    const uint64_t seed = std::stoull(item.text());
    if (!seen.insert(seed).second)
      fail(item.location(), "seeds", fmt::format("seed {} is listed twice", seed));
    all.push_back(seed);
  }
  if (all.empty()) fail(seeds->location(), "seeds", "found an empty list, expected seeds");
  return all;
}

// What the component checks depend on: the configuration without the training
// keys that only steer optimisation (a model is built and run once per distinct
// one, not once per arm: a grid over 10000 learning rates builds one model).
std::string structural_key(ConfigNode config) {
  for (const char* key :
       {"steps", "lr", "schedule", "warmup", "final_lr_ratio", "clip", "weight_decay", "seed"})
    config.find("train")->erase(key);
  for (const char* key : {"every", "batches", "generation_batches", "validation_batches"})
    config.find("eval")->erase(key);
  return to_yaml(config);
}

// Memory estimates of the configurations already checked, by structural_key.
using CheckedConfigurations = std::map<std::string, double>;

// Where tune.seeds was written (the tune: block's own place if it has none).
SourceLocation selecting_seeds_location(const ConfigNode& document) {
  const ConfigNode* tune = document.find("tune");
  const ConfigNode* seeds = tune && tune->is_map() ? tune->find("seeds") : nullptr;
  return seeds ? seeds->location() : tune->location();
}

// train.init_from as every file and -o already made it (with_init_from_anchored),
// normal; a configuration built by a program may still give it relative.
void anchor_init_from(ConfigNode& config) {
  ConfigNode& value = *config.find("train")->find("init_from");
  value = anchored_path(value, fs::current_path());  // written relative only by a program
}

// The trial of `arm` with `seed`, checked (with what `checked` already knows).
Trial make_trial(const ConfigNode& document, const Arm& arm, std::optional<uint64_t> seed,
                 const SourceLocation& seed_location, const ValidationLimits& limits,
                 CheckedConfigurations& checked, double& memory_bytes) {
  ConfigNode config = document;
  for (const auto& spec : schema::experiment_keys()) config.erase(spec.path);
  for (const Assignment& assignment : arm.assignments) {
    if (assignment.key == "train.seed" || assignment.key == "train")
      fail(assignment.key_location, assignment.key,
           "the seed is not an ablation axis; list seeds under the top-level 'seeds:'");
    for (const auto& spec : schema::experiment_keys())
      if (assignment.key == spec.path)
        fail(assignment.key_location, assignment.key, "cannot be set by an ablation arm");
    config.set_path(assignment.key, assignment.value, assignment.key_location);
  }
  if (seed)
    config.set_path("train.seed", ConfigNode::scalar(std::to_string(*seed), seed_location),
                    seed_location);
  schema::resolve_trial(config);
  anchor_init_from(config);
  const std::string structure = structural_key(config);
  const auto known = checked.find(structure);
  memory_bytes = known != checked.end()
                     ? known->second
                     : checked[structure] =
                           check_trial(config, limits.memory_bytes, limits.read_initial_weights);
  const uint64_t trial_seed = std::stoull(config.at_path("train.seed")->text());
  return {.index = 0,
          .id = config_hash(to_yaml(config)),
          .arm = arm.label,
          .axes = arm.axes,
          .seed = trial_seed,
          .tuned = "",
          .config = std::move(config),
          .memory_bytes = memory_bytes};
}

// The document with every default filled in: experiment keys first, then the
// trial sections in canonical form, then the ablation.
ConfigNode resolve_document(const Experiment& experiment, const std::vector<uint64_t>& seeds) {
  ConfigNode sections = experiment.document;
  for (const auto& spec : schema::experiment_keys()) sections.erase(spec.path);
  try {
    schema::resolve_trial(sections);
  } catch (const ConfigError&) {
    // Valid only with the arms' values (e.g. a parameter of a variant that only
    // the arms select): every trial was resolved and checked; show it as written.
    sections = experiment.document;
    for (const auto& spec : schema::experiment_keys()) sections.erase(spec.path);
  }
  // Left out as the file left it out: tune: then gives each arm its own eval.batches
  // (a filled-in 0 would be refused when the plan is rebuilt).
  if (experiment.tune && experiment.document.at_path("eval.validation_batches") == nullptr)
    if (ConfigNode* eval = sections.find("eval")) eval->erase("validation_batches");
  // Nor the tuned key's default, which no trial uses (and which the tune: block refuses).
  if (experiment.tune) erase_tuned_key(sections, experiment.tune->key);
  ConfigNode resolved = ConfigNode::map();
  resolved.set("name", ConfigNode::scalar(experiment.name));
  if (const ConfigNode* description = experiment.document.find("description"))
    resolved.set("description", *description);
  resolved.set("output", ConfigNode::scalar(experiment.output_dir));
  ConfigNode seed_list = ConfigNode::sequence();
  for (const uint64_t seed : seeds) seed_list.push_back(ConfigNode::scalar(std::to_string(seed)));
  resolved.set("seeds", seed_list);
  for (const ConfigNode::Entry& entry : sections.entries()) resolved.set(entry.key, entry.value);
  for (const char* key : {"ablation", "conclusion", "solved", "tune"})
    if (const ConfigNode* block = experiment.document.find(key)) resolved.set(key, *block);
  return resolved;
}

Experiment expand(Experiment experiment, const fs::path& folder, const ValidationLimits& limits) {
  ConfigNode& document = experiment.document;
  check_experiment_keys(document);
  rewrite_plugins(document, folder, load_plugin);  // loaded once, here, for the whole experiment
  const ConfigNode* name = document.find("name");
  if (name != nullptr) experiment.name = name->text();
  check_name(experiment.name, name);
  const ConfigNode* output = document.find("output");
  experiment.output_dir =
      fs::absolute(output ? fs::path(output->text()) : fs::path("runs") / experiment.name)
          .lexically_normal()
          .string();
  const std::vector<uint64_t> listed_seeds = seeds_of(document);
  std::vector<std::optional<uint64_t>> seeds(listed_seeds.begin(), listed_seeds.end());
  if (seeds.empty()) seeds.push_back(std::nullopt);  // each arm's own train.seed
  const ConfigNode* seeds_node = document.find("seeds");
  const SourceLocation seed_location = seeds_node ? seeds_node->location() : SourceLocation{};
  const std::vector<Arm> arms = expand_ablation(document.find("ablation"));
  experiment.tune = parse_tune(document.find("tune"));
  const std::size_t values = experiment.tune ? experiment.tune->values.size() : 1;
  std::vector<std::optional<uint64_t>> selecting;  // tune.seeds: selection only, run first
  if (experiment.tune)
    selecting.assign(experiment.tune->seeds.begin(), experiment.tune->seeds.end());
  if (arms.size() * values * (seeds.size() + selecting.size()) > kMaxTrials) {
    const ConfigNode* culprit = seeds_node ? seeds_node : document.find("ablation");
    fail(culprit ? culprit->location() : document.location(), seeds_node ? "seeds" : "ablation",
         fmt::format("{} arms x {}{} seeds = {} trials; an experiment may hold at most {}",
                     arms.size(), experiment.tune ? fmt::format("{} tuned values x ", values) : "",
                     seeds.size() + selecting.size(),
                     arms.size() * values * (seeds.size() + selecting.size()), kMaxTrials));
  }
  std::set<std::string> ids;
  CheckedConfigurations checked;
  for (const Arm& untuned : arms) {
    experiment.arms.push_back(untuned.label);
    const std::vector<Arm> variants = experiment.tune
                                          ? tuned_arms(untuned, *experiment.tune, document)
                                          : std::vector<Arm>{untuned};
    std::vector<std::optional<uint64_t>> arm_seeds = selecting;  // selecting seeds first
    arm_seeds.insert(arm_seeds.end(), seeds.begin(), seeds.end());
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const Arm& arm = variants[v];
      for (std::size_t s = 0; s < arm_seeds.size(); ++s) {
        const std::optional<uint64_t>& seed = arm_seeds[s];
        Trial trial;
        try {
          double bytes = 0;
          trial = make_trial(document, arm, seed, seed_location, limits, checked, bytes);
          if (experiment.tune) trial.tuned = experiment.tune->values[v];
          experiment.largest_trial_bytes = std::max(experiment.largest_trial_bytes, bytes);
        } catch (const ConfigError& e) {
          throw ConfigError(
              fmt::format("{}\n  (in arm '{}'{}: trial index {} of 0..{} in 'attnlab plan'; no "
                          "trial has run)",
                          e.what(), arm.label, seed ? fmt::format(", seed {}", *seed) : "",
                          experiment.trials.size(), arms.size() * values * arm_seeds.size() - 1));
        }
        if (s >= selecting.size() && experiment.tune && experiment.tune->selects_only(trial.seed))
          fail(selecting_seeds_location(document), "tune.seeds",
               fmt::format("seed {} is also a reported seed ({}); a seed either selects or is "
                           "reported, not both",
                           trial.seed,
                           seeds_node ? fmt::format("seeds: at {}", seed_location.on_command_line()
                                                                        ? seed_location.file
                                                                        : seed_location.str())
                                      : std::string("train.seed")));
        if (!ids.insert(trial.id).second)
          throw ConfigError(fmt::format(
              "arm '{}' with seed {} has the same resolved configuration as an earlier trial; "
              "an ablation axis or arm changes nothing",
              arm.label, trial.seed));
        trial.index = static_cast<int64_t>(experiment.trials.size());
        experiment.trials.push_back(std::move(trial));
      }
    }
  }
  std::vector<uint64_t> used_seeds = listed_seeds;
  if (used_seeds.empty())
    for (const Trial& trial : experiment.trials)
      if (std::find(used_seeds.begin(), used_seeds.end(), trial.seed) == used_seeds.end())
        used_seeds.push_back(trial.seed);
  experiment.conclusion = parse_conclusion(document.find("conclusion"), experiment);
  experiment.solved = parse_solved(document.find("solved"), experiment);
  experiment.resolved = resolve_document(experiment, used_seeds);
  return experiment;
}

}  // namespace

std::string describe_trials(const Experiment& experiment) {
  const std::size_t arms = std::max<std::size_t>(experiment.arms.size(), 1);
  const std::size_t values = experiment.tune ? experiment.tune->values.size() : 1;
  const std::size_t selecting = experiment.tune ? experiment.tune->seeds.size() : 0;
  return fmt::format(
      "{} arms x {}{} seeds{}", experiment.arms.size(),
      experiment.tune ? fmt::format("{} values of {} x ", values, experiment.tune->key) : "",
      experiment.trials.size() / (arms * values),
      selecting ? fmt::format(" ({} of them only select)", selecting) : "");
}

Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                           const ValidationLimits& limits) {
  if (!fs::exists(path)) throw IoError(fmt::format("{}: no such experiment file", path));
  if (fs::is_directory(path))
    throw IoError(fmt::format("{}: is a folder, expected a YAML file", path));
  Experiment experiment;
  experiment.path = path;
  experiment.name = fs::path(path).stem().string();
  experiment.overrides = overrides;
  experiment.source_text = read_yaml_text(path);  // read once: a pipe cannot be read twice
  std::vector<fs::path> chain;
  experiment.document = with_bases(path, parse_yaml(experiment.source_text, path), chain);
  for (const std::string& assignment : overrides) apply_override(experiment.document, assignment);
  return expand(std::move(experiment), fs::absolute(path).parent_path(), limits);
}

const char* default_experiment_source();  // experiments/default.yaml, built in

const std::string& default_experiment_text() {
  static const std::string text = default_experiment_source();
  return text;
}

Experiment experiment_from_text(const std::string& text, const std::string& origin,
                                const std::vector<std::string>& overrides,
                                const ValidationLimits& limits) {
  Experiment experiment;
  experiment.name = fs::path(origin).stem().string();
  experiment.source_text = text;
  experiment.overrides = overrides;
  std::vector<fs::path> chain;
  experiment.document = with_bases(origin, parse_yaml(text, origin), chain);
  for (const std::string& assignment : overrides) apply_override(experiment.document, assignment);
  return expand(std::move(experiment), fs::current_path(), limits);
}

Experiment default_experiment(const std::vector<std::string>& overrides,
                              const ValidationLimits& limits) {
  // Named "default" after the stem of its origin, output in runs/default.
  return experiment_from_text(default_experiment_text(), "experiments/default.yaml (built in)",
                              overrides, limits);
}

std::string config_hash(const std::string& yaml_text) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a, 64 bits: stable across platforms and runs
  for (const unsigned char c : yaml_text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

const Trial& find_trial(const Experiment& experiment, const std::string& which) {
  for (const Trial& trial : experiment.trials)
    if (trial.id == which || std::to_string(trial.index) == which) return trial;
  throw ConfigError(
      fmt::format("no trial '{}' in experiment '{}'; give an id or an index 0..{} "
                  "('attnlab plan' lists them)",
                  which, experiment.name, experiment.trials.size() - 1));
}

}  // namespace attnlab
