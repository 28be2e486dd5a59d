#include "attnlab/experiment/trial_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/plugin.hpp"
#include "schema.hpp"

namespace attnlab {
namespace {

const ConfigNode& at(const ConfigNode& config, const std::string& path) {
  const ConfigNode* node = config.at_path(path);
  if (node == nullptr)
    throw ConfigError(fmt::format("resolved configuration has no '{}' (was it resolved?)", path));
  return *node;
}

int64_t integer(const ConfigNode& config, const std::string& path) {
  return std::stoll(at(config, path).text());
}

float number(const ConfigNode& config, const std::string& path) {
  const auto value = parse_parameter_value(ParameterType::number, at(config, path).text());
  if (!value) throw ConfigError(fmt::format("'{}' is not a number", path));
  return static_cast<float>(std::get<double>(*value));
}

std::vector<int64_t> integers(const ConfigNode& config, const std::string& path) {
  std::vector<int64_t> values;
  for (const ConfigNode& item : at(config, path).items()) values.push_back(std::stoll(item.text()));
  return values;
}

std::vector<std::string> texts(const ConfigNode& config, const std::string& path) {
  std::vector<std::string> values;
  for (const ConfigNode& item : at(config, path).items()) values.push_back(item.text());
  return values;
}

// The component a section of the schema chooses, with its parameters (every
// key of the section but the selector and the section's own fixed keys).
ComponentChoice component(const ConfigNode& config, const std::string& section_name) {
  const auto& sections = schema::component_sections();
  const auto section =
      std::find_if(sections.begin(), sections.end(),
                   [&](const schema::ComponentSection& s) { return s.section == section_name; });
  if (section == sections.end())
    throw ConfigError(fmt::format("the schema has no component section '{}'", section_name));
  ComponentChoice choice{at(config, section_name + "." + section->selector).text(), {}};
  for (const ConfigNode::Entry& entry : at(config, section_name).entries())
    if (entry.key != section->selector &&
        std::find(section->extra.begin(), section->extra.end(), entry.key) == section->extra.end())
      choice.parameters[entry.key] = entry.value.text();
  return choice;
}

// The enum a choice key names, through the one table of its names.
template <class Enum>
Enum decoded(const ConfigNode& config, const std::string& path, const NamedChoices<Enum>& names) {
  return names.decode(at(config, path).text(), path);
}

}  // namespace

ComponentChoice task_choice(const ConfigNode& resolved) {
  return component(resolved, "task");
}

TrialSpec trial_spec(const ConfigNode& resolved, const Task& task,
                     const std::vector<const Task*>& setting_tasks) {
  TrialSpec spec;
  spec.plugins = texts(resolved, "plugins");
  spec.shape = decoded(resolved, "model.architecture", model_shape_names());
  TransformerConfig& model = spec.model;
  model.d_model = integer(resolved, "model.d_model");
  model.encoder_layers = model.decoder_layers = integer(resolved, "model.layers");
  model.ffn_dim = integer(resolved, "model.ffn");
  model.activation = decoded(resolved, "model.activation", activation_names());
  model.norm = decoded(resolved, "model.norm", norm_placement_names());
  model.decoder_mask = decoded(resolved, "model.decoder_mask", decoder_mask_names());
  model.memory = decoded(resolved, "model.memory", memory_access_names());
  model.dropout = number(resolved, "model.dropout");
  model.max_length = integer(resolved, "model.max_length");
  model.heads = integer(resolved, "heads.count");
  model.attention = component(resolved, "attention");
  model.positional = component(resolved, "positional");
  model.random_positions = integer(resolved, "positional.randomized");
  model.head_layout = component(resolved, "heads");
  spec.task = task_choice(resolved);

  TrainOptions& train = spec.train;
  train.steps = integer(resolved, "train.steps");
  train.batch = integer(resolved, "train.batch");
  train.lr = number(resolved, "train.lr");
  train.schedule = decoded(resolved, "train.schedule", schedule_names());
  train.warmup_steps = integer(resolved, "train.warmup");
  train.final_lr_ratio = number(resolved, "train.final_lr_ratio");
  train.clip_norm = number(resolved, "train.clip");
  train.adamw.weight_decay = number(resolved, "train.weight_decay");
  train.seed = static_cast<uint64_t>(integer(resolved, "train.seed"));
  train.init_from = at(resolved, "train.init_from").text();
  train.init_from_strict = at(resolved, "train.init_from_strict").text() == "true";
  train.checkpoint_every = integer(resolved, "train.checkpoint_every");
  train.eval_every = integer(resolved, "eval.every");
  train.eval_batches = integer(resolved, "eval.batches");
  train.generation_batches = integer(resolved, "eval.generation_batches");
  train.validation_batches = integer(resolved, "eval.validation_batches");
  spec.threads = static_cast<int>(integer(resolved, "train.threads"));

  train.eval_lengths = {task.length()};
  for (const int64_t length : integers(resolved, "eval.lengths"))
    if (std::find(train.eval_lengths.begin(), train.eval_lengths.end(), length) ==
        train.eval_lengths.end())
      train.eval_lengths.push_back(length);
  const bool automatic_table = model.max_length == 0;
  model = configure_for_task(model, task, spec.shape, train.eval_lengths,
                             task_registry().find(spec.task.name).capabilities);
  for (const ConfigNode& changes : at(resolved, "eval.settings").items()) {
    TaskSetting setting{task_setting_name(changes), spec.task};
    for (const ConfigNode::Entry& entry : changes.entries())
      setting.task.parameters[entry.key] = entry.value.text();
    spec.eval_settings.push_back(std::move(setting));
  }
  if (automatic_table)  // 0 = the longest sequence evaluated, the settings' included
    for (const Task* other : setting_tasks)
      model.max_length =
          std::max(model.max_length, other->sequence_length(spec.shape, other->length()));

  spec.record.tensors = texts(resolved, "record.tensors");
  spec.record.layers = integers(resolved, "record.layers");
  spec.record.heads = integers(resolved, "record.heads");
  spec.record.examples = integer(resolved, "record.examples");
  spec.record.every = integer(resolved, "record.every");
  spec.record.parameters = at(resolved, "record.parameters").text() == "true";
  return spec;
}

std::vector<std::string> load_listed_plugins(const ConfigNode& plugins,
                                             const std::filesystem::path& folder) {
  std::vector<std::string> paths;
  for (const ConfigNode& item : plugins.items()) {
    try {
      paths.push_back(load_plugin(item.text(), folder).string());
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: plugins: {}", item.location().str(), e.what()));
    }
  }
  return paths;
}

std::string task_setting_name(const ConfigNode& changes) {
  std::string name;
  for (const ConfigNode::Entry& entry : changes.entries())
    name += fmt::format("{}{}={}", name.empty() ? "" : ",", entry.key, entry.value.text());
  return name;
}

namespace {

// The task's own validation part (Task::validation_task), built once here so
// that a part too small for the length is refused before anything trains, and
// checked to pose the trained task's question in the trained task's tokens.
void check_validation_task(const ConfigNode& resolved, const Task& task) {
  const std::string where =
      fmt::format("{}: task (its validation part, which eval.validation_batches reads)",
                  at(resolved, "task").location().str());
  std::unique_ptr<Task> validation;
  try {
    validation = task.validation_task();
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", where, e.what()));
  }
  if (validation &&
      (validation->vocab_size() != task.vocab_size() ||
       validation->num_classes() != task.num_classes() || validation->length() != task.length()))
    throw ConfigError(fmt::format(
        "{}: the task's validation_task() has {} tokens, {} classes and length {}, the task {}, "
        "{} and {}: a plugin's validation part must be the same task on other examples",
        where, validation->vocab_size(), validation->num_classes(), validation->length(),
        task.vocab_size(), task.num_classes(), task.length()));
}

}  // namespace

BuiltTrial build_trial(const ConfigNode& resolved) {
  load_listed_plugins(at(resolved, "plugins"));
  const ComponentChoice task = task_choice(resolved);
  BuiltTrial built{nullptr, {}, {}};
  try {  // parameters within their limits that the task itself refuses
    built.task = task_registry().create(task.name, task.parameters, {});
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: task: {}", at(resolved, "task").location().str(), e.what()));
  }
  std::vector<const Task*> setting_tasks;
  const auto& settings = at(resolved, "eval.settings").items();
  for (std::size_t i = 0; i < settings.size(); ++i) {
    ComponentChoice changed = task;
    for (const ConfigNode::Entry& entry : settings[i].entries())
      changed.parameters[entry.key] = entry.value.text();
    const std::string where =
        fmt::format("{}: eval.settings[{}] ({})", settings[i].location().str(), i,
                    task_setting_name(settings[i]));
    try {
      built.setting_tasks.push_back(task_registry().create(changed.name, changed.parameters, {}));
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("{}: {}", where, e.what()));
    }
    const Task& other = *built.setting_tasks.back();
    if (other.vocab_size() != built.task->vocab_size() ||
        other.num_classes() != built.task->num_classes())
      throw ConfigError(fmt::format(
          "{}: changes the vocabulary ({} tokens and {} classes, the trained task has {} and {}): "
          "a token id would not mean what it meant in training; a setting may change what the "
          "task asks, not its tokens",
          where, other.vocab_size(), other.num_classes(), built.task->vocab_size(),
          built.task->num_classes()));
    setting_tasks.push_back(&other);
  }
  built.spec = trial_spec(resolved, *built.task, setting_tasks);
  if (built.spec.train.validation_batches > 0) check_validation_task(resolved, *built.task);
  return built;
}

int64_t BuiltTrial::longest_sequence() const {
  int64_t longest = 0;
  for (const int64_t length : spec.train.eval_lengths)
    longest = std::max(longest, task->sequence_length(spec.shape, length));
  for (const std::unique_ptr<Task>& other : setting_tasks)
    longest = std::max(longest, other->sequence_length(spec.shape, other->length()));
  return longest;
}

std::vector<EvaluationSetting> BuiltTrial::evaluation_settings() const {
  std::vector<EvaluationSetting> settings;
  for (std::size_t i = 0; i < setting_tasks.size(); ++i)
    settings.push_back({spec.eval_settings[i].name, setting_tasks[i].get()});
  return settings;
}

}  // namespace attnlab
