#include "schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/attention/head_layout.hpp"
#include "attnlab/error.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/task/task.hpp"
#include "attnlab/train/trainer.hpp"

namespace attnlab::schema {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPositive = 1e-12;  // "> 0" for numbers

// A default as the schema writes it: integers as such, floats in their shortest form.
template <class Value>
std::string text_of(Value value) {
  return fmt::format("{}", value);
}

KeySpec integer(std::string path, std::string value, std::string doc, double min,
                double max = kInf) {
  return {std::move(path), ValueType::integer, std::move(value), std::move(doc), min, max, {}, ""};
}
KeySpec number(std::string path, std::string value, std::string doc, double min,
               double max = kInf) {
  return {std::move(path), ValueType::number, std::move(value), std::move(doc), min, max, {}, ""};
}
KeySpec choice(std::string path, std::string value, std::string doc,
               std::vector<std::string> choices) {
  return {std::move(path),
          ValueType::text,
          std::move(value),
          std::move(doc),
          -kInf,
          kInf,
          std::move(choices),
          ""};
}
KeySpec text(std::string path, std::string doc, std::string expected = "") {
  return {std::move(path),    ValueType::text, "", std::move(doc), -kInf, kInf, {},
          std::move(expected)};
}
KeySpec boolean(std::string path, bool value, std::string doc) {
  return {std::move(path),
          ValueType::boolean,
          value ? "true" : "false",
          std::move(doc),
          -kInf,
          kInf,
          {},
          ""};
}
KeySpec integer_list(std::string path, std::string doc, double min) {
  return {std::move(path), ValueType::integer_list, "[]", std::move(doc), min, kInf, {}, ""};
}
KeySpec text_list(std::string path, std::string doc) {
  return {std::move(path), ValueType::text_list, "[]", std::move(doc), -kInf, kInf, {}, ""};
}
KeySpec task_settings(std::string path, std::string doc) {
  return {std::move(path), ValueType::task_settings, "[]", std::move(doc), -kInf, kInf, {}, ""};
}

[[noreturn]] void fail(const SourceLocation& where, std::string_view key,
                       const std::string& message) {
  throw ConfigError(fmt::format("{}: {}: {}", where.str(), key, message));
}

std::string join_path(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
}

// The canonical text of `value` as a scalar of `type` within [min, max], or a failure.
std::string checked_scalar(const KeySpec& spec, const ConfigNode& value, ParameterType type,
                           const std::string& key) {
  if (!value.is_scalar())
    fail(value.location(), key,
         fmt::format("found {}, expected {}", value.describe(), describe_expected(spec)));
  const auto parsed = parse_parameter_value(type, value.text());
  if (!parsed || !within_limits(*parsed, {spec.min, spec.max, spec.choices}))
    fail(value.location(), key,
         fmt::format("found {}, expected {}", value.describe(), describe_expected(spec)));
  return format_parameter_value(*parsed);
}

ParameterType element_type(ValueType type) {
  switch (type) {
    case ValueType::integer:
    case ValueType::integer_list:
      return ParameterType::integer;
    case ValueType::number:
      return ParameterType::number;
    case ValueType::boolean:
      return ParameterType::boolean;
    default:
      return ParameterType::text;
  }
}

bool is_list(ValueType type) {
  return type == ValueType::integer_list || type == ValueType::text_list;
}

// Replaces `value` by its canonical form after checking it against `spec`.
void canonicalise(const KeySpec& spec, ConfigNode& value) {
  const ParameterType type = element_type(spec.type);
  if (!is_list(spec.type)) {
    value = ConfigNode::scalar(checked_scalar(spec, value, type, spec.path), value.location());
    return;
  }
  if (!value.is_sequence())
    fail(value.location(), spec.path,
         fmt::format("found {}, expected {}", value.describe(), describe_expected(spec)));
  ConfigNode list = ConfigNode::sequence(value.location());
  for (const ConfigNode& item : value.items())
    list.push_back(
        ConfigNode::scalar(checked_scalar(spec, item, type, spec.path), item.location()));
  value = std::move(list);
}

std::vector<std::string> section_keys(const std::string& section) {
  std::vector<std::string> keys;
  for (const KeySpec& spec : trial_keys())
    if (spec.path.starts_with(section + ".")) keys.push_back(spec.path.substr(section.size() + 1));
  return keys;
}

[[noreturn]] void fail_unknown_key(const ConfigNode& parent, const std::string& section,
                                   const std::string& key, const std::vector<std::string>& known) {
  const std::string suggestion = closest_match(key, known);
  fail(
      parent.key_location(key), join_path(section, key),
      fmt::format("unknown key{}; {} takes: {}",
                  suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                  section.empty() ? "an experiment" : "'" + section + "'", fmt::join(known, ", ")));
}

void resolve_component(const ComponentSection& section, ConfigNode& node) {
  ConfigNode* selector = node.find(section.selector);
  if (selector == nullptr) {
    node.set(section.selector, ConfigNode::scalar(section.default_name));
    selector = node.find(section.selector);
  }
  const std::string selector_key = join_path(section.section, section.selector);
  if (!selector->is_scalar())
    fail(
        selector->location(), selector_key,
        fmt::format("found {}, expected the name of a registered component", selector->describe()));
  std::vector<ParameterSpec> specs;
  try {
    specs = section.parameters_of(selector->text());
  } catch (const ConfigError& e) {
    fail(selector->location(), selector_key, e.what());
  }
  std::vector<std::string> known{section.selector};
  known.insert(known.end(), section.extra.begin(), section.extra.end());
  for (const ParameterSpec& spec : specs) {
    if (std::find(known.begin(), known.end(), spec.name) != known.end())
      fail(selector->location(), selector_key,
           fmt::format("component '{}' declares a parameter '{}', which is a key of section '{}' "
                       "itself; rename the parameter",
                       selector->text(), spec.name, section.section));
    known.push_back(spec.name);
  }
  for (const auto& entry : node.entries()) {
    if (std::find(known.begin(), known.end(), entry.key) == known.end())
      fail_unknown_key(node, section.section, entry.key, known);
  }
  for (const ParameterSpec& spec : specs) {
    ConfigNode* given = node.find(spec.name);
    if (given == nullptr) {  // the default (checked at registration), in canonical form
      const auto value = parse_parameter(spec, spec.default_value);
      node.set(spec.name, ConfigNode::scalar(format_parameter_value(value.value())));
      continue;
    }
    const std::string key = join_path(section.section, spec.name);
    const auto parsed = given->is_scalar() ? parse_parameter(spec, given->text()) : std::nullopt;
    if (!parsed)
      fail(given->location(), key,
           fmt::format("found {}, expected {} ({})", given->describe(), describe_expected(spec),
                       spec.doc));
    *given = ConfigNode::scalar(format_parameter_value(*parsed), given->location());
  }
}

ConfigNode& section_of(ConfigNode& config, const std::string& section) {
  ConfigNode* node = config.find(section);
  if (node == nullptr) {
    config.set(section, ConfigNode::map());
    node = config.find(section);
  }
  if (node->is_null()) *node = ConfigNode::map(node->location());
  if (!node->is_map())
    fail(node->location(), section,
         fmt::format("found {}, expected a map of keys", node->describe()));
  return *node;
}

// eval.settings: each item a map of some of the task's parameters, checked and
// rewritten as the task section's are, keys in the task's declared order.
void resolve_task_settings(const KeySpec& spec, ConfigNode& settings, const ConfigNode& task) {
  if (!settings.is_sequence())
    fail(settings.location(), spec.path,
         fmt::format("found {}, expected {}", settings.describe(), describe_expected(spec)));
  const std::string& task_name = task.find("name")->text();
  const std::vector<ParameterSpec> specs = task_registry().find(task_name).parameters;
  std::vector<std::string> known;
  for (const ParameterSpec& parameter : specs) known.push_back(parameter.name);
  ConfigNode resolved = ConfigNode::sequence(settings.location());
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < settings.items().size(); ++i) {
    const ConfigNode& item = settings.items()[i];
    const std::string where = fmt::format("{}[{}]", spec.path, i);
    if (!item.is_map() || item.entries().empty())
      fail(item.location(), where,
           fmt::format("found {}, expected a map of task '{}' parameters to change, e.g. {{{}: "
                       "...}} (task '{}' takes: {})",
                       item.is_map() ? "an empty map" : item.describe(), task_name,
                       known.empty() ? "p" : known.front(), task_name, fmt::join(known, ", ")));
    for (const auto& entry : item.entries())
      if (std::find(known.begin(), known.end(), entry.key) == known.end())
        fail_unknown_key(item, where, entry.key, known);
    ConfigNode canonical = ConfigNode::map(item.location());
    for (const ParameterSpec& parameter : specs) {
      const ConfigNode* given = item.find(parameter.name);
      if (given == nullptr) continue;
      const std::string key = join_path(where, parameter.name);
      const auto parsed =
          given->is_scalar() ? parse_parameter(parameter, given->text()) : std::nullopt;
      if (!parsed)
        fail(given->location(), key,
             fmt::format("found {}, expected {} ({})", given->describe(),
                         describe_expected(parameter), parameter.doc));
      const std::string text = format_parameter_value(*parsed);
      if (text.find_first_of("/,=[]") != std::string::npos)
        fail(given->location(), key,
             fmt::format("found '{}': a setting's values name its figures and HDF5 groups "
                         "(k=v,k2=v2), so they may not hold '/', ',', '=', '[' or ']'",
                         text));
      canonical.set(parameter.name, ConfigNode::scalar(text, given->location()),
                    item.key_location(parameter.name));
    }
    const bool changes_something =
        std::any_of(canonical.entries().begin(), canonical.entries().end(),
                    [&](const ConfigNode::Entry& entry) {
                      return task.find(entry.key)->text() != entry.value.text();
                    });
    if (!changes_something)
      fail(item.location(), where,
           "changes nothing: every value is the trained task's (a figure under another name)");
    if (canonical.entries().size() == 1 && canonical.entries().front().key == "length")
      fail(item.location(), where,
           fmt::format("changes only the length: use eval.lengths: [{}] (figures eval_<metric>@{})",
                       canonical.entries().front().value.text(),
                       canonical.entries().front().value.text()));
    const std::string name = task_setting_name(canonical);
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      fail(item.location(), where, fmt::format("the setting {} is listed twice", name));
    seen.push_back(name);
    resolved.push_back(std::move(canonical));
  }
  settings = std::move(resolved);
}

// The same configuration with sections and keys in one fixed order (the schema's,
// then each component's declared parameters), so that the trial id does not
// depend on the order keys were written in.
ConfigNode canonical_order(const ConfigNode& config) {
  ConfigNode ordered = ConfigNode::map(config.location());
  const auto copy = [&](ConfigNode& into, const ConfigNode& from, const std::string& key) {
    if (const ConfigNode* value = from.find(key)) into.set(key, *value, from.key_location(key));
  };
  copy(ordered, config, "plugins");
  const auto fixed_section = [&](const std::string& section) {
    const ConfigNode& from = *config.find(section);
    ConfigNode into = ConfigNode::map(from.location());
    for (const std::string& key : section_keys(section)) copy(into, from, key);
    ordered.set(section, into, config.key_location(section));
  };
  fixed_section("model");
  for (const ComponentSection& section : component_sections()) {
    const ConfigNode& from = *config.find(section.section);
    ConfigNode into = ConfigNode::map(from.location());
    copy(into, from, section.selector);
    for (const std::string& key : section.extra) copy(into, from, key);
    for (const ParameterSpec& spec : section.parameters_of(from.find(section.selector)->text()))
      copy(into, from, spec.name);
    ordered.set(section.section, into, config.key_location(section.section));
  }
  for (const std::string section : {"train", "eval", "record"}) fixed_section(section);
  return ordered;
}

}  // namespace

const std::vector<KeySpec>& trial_keys() {
  // The defaults are the typed structs' own: declared once, where the code reads them.
  static const TransformerConfig model;
  static const TrainOptions train;
  static const RecordOptions record;
  static const TrialSpec trial;
  static const std::vector<KeySpec> keys = {
      text_list("plugins",
                "shared libraries to load (relative to the YAML file, or on ATTNLAB_PLUGIN_PATH)"),
      choice("model.architecture", model_shape_names().name(trial.shape),
             "which Transformer: encoder (reads both ways), decoder (causal), encoder_decoder",
             model_shape_names().names()),
      integer("model.d_model", text_of(model.d_model), "model width", 1),
      integer("model.layers", text_of(model.decoder_layers), "blocks in each stack", 1),
      integer("model.ffn", text_of(model.ffn_dim),
              "feed-forward hidden width (0 = attention-only blocks, no feed-forward sublayer)", 0),
      choice("model.activation", to_string(model.activation), "feed-forward activation",
             activation_names().names()),
      choice("model.norm", to_string(model.norm), "LayerNorm placement",
             norm_placement_names().names()),
      choice("model.decoder_mask", decoder_mask_names().name(model.decoder_mask),
             "what a decoder's self-attention sees: causal (the past) or none (everything: "
             "teacher forcing can read the answer; the mask's ablation)",
             decoder_mask_names().names()),
      choice("model.memory", memory_access_names().name(model.memory),
             "what an encoder-decoder's cross-attention reads: full (every encoder state) or "
             "mean (their mean, one key: the ablation of cross-attention's alignment)",
             memory_access_names().names()),
      number("model.dropout", text_of(model.dropout), "dropout probability", 0, 0.95),
      integer("model.max_length", text_of(model.max_length),
              "positions a learned table covers; 0 = the longest sequence trained or evaluated", 0),
      integer("positional.randomized", text_of(model.random_positions),
              "0: tokens at positions 0, 1, 2, ...; L: each pass draws its positions as an "
              "increasing random subset of [0, L), in training and evaluation, for any encoding "
              "(Ruoss et al. 2023); L >= the longest sequence",
              0, 1000000),
      integer("heads.count", text_of(model.heads),
              "query heads (the head layout may share keys/values)", 1),
      integer("train.steps", text_of(train.steps), "optimizer steps", 1),
      integer("train.batch", text_of(train.batch), "sequences per step", 1),
      number("train.lr", text_of(train.lr), "peak learning rate (AdamW)", kPositive),
      choice("train.schedule", schedule_names().name(train.schedule),
             "after warm-up: cosine decay to lr * final_lr_ratio, or constant",
             schedule_names().names()),
      integer("train.warmup", text_of(train.warmup_steps), "linear warm-up steps", 0),
      number("train.final_lr_ratio", text_of(train.final_lr_ratio),
             "cosine schedule's final lr / peak lr", 0, 1),
      number("train.clip", text_of(train.clip_norm), "gradient-norm clip (0 = off)", 0),
      number("train.weight_decay", text_of(train.adamw.weight_decay),
             "AdamW's decoupled weight decay", 0),
      integer("train.seed", text_of(train.seed),
              "seed of initialisation, data, dropout and evaluation (`seeds:` sets it per trial)",
              0),
      integer("train.threads", text_of(trial.threads),
              "threads inside one trial (part of the configuration: float sums depend on it)", 1,
              256),
      text("train.init_from",
           "start from these parameters instead of the seed's initialization: a checkpoint, a "
           "trial file or a .safetensors file (relative to the YAML file naming it; default: "
           "none)",
           "a path"),
      boolean("train.init_from_strict", train.init_from_strict,
              "every parameter must be in train.init_from by name and shape (false: load those "
              "that match, keep the others as initialized, and say which)"),
      integer("train.checkpoint_every", text_of(train.checkpoint_every),
              "save the training state every k steps, so that a killed trial resumes there to "
              "the same result (0 = never)",
              0),
      integer("eval.every", text_of(train.eval_every),
              "evaluate every k steps (0 = only at the end)", 0),
      integer("eval.batches", text_of(train.eval_batches),
              "evaluation batches (of train.batch examples)", 1),
      integer("eval.generation_batches", text_of(train.generation_batches),
              "of those, also scored free-running: the model's own outputs fed back "
              "(generation_accuracy; a forward pass per generated token)",
              0),
      integer("eval.validation_batches", text_of(train.validation_batches),
              "batches of a validation evaluation at the training length, drawn from a stream "
              "of its own, never the test evaluation's, and from a task's validation part "
              "where it has one, as a corpus does (figures eval_<metric>[validation]; what "
              "tune: selects on; 0 = none)",
              0),
      integer_list("eval.lengths",
                   "extra task lengths to evaluate (extrapolation); the training length is "
                   "always evaluated",
                   1),
      task_settings("eval.settings",
                    "extra evaluations, each on the task with some of its parameters changed, "
                    "e.g. [{ignore_probability: 0.98}]; figures eval_<metric>[<changes>]"),
      text_list("record.tensors",
                "activations to record: patterns over dotted names ('*' within a segment, "
                "'**' across segments), e.g. '**.self_attn.weights'"),
      integer_list("record.layers", "layer indices to record (empty = all)", 0),
      integer_list("record.heads", "head indices to record (empty = all)", 0),
      integer("record.examples", text_of(record.examples), "fixed evaluation examples recorded", 1,
              4096),
      integer("record.every", text_of(record.every),
              "also record every k steps (0 = only after training)", 0),
      boolean("record.parameters", record.parameters,
              "also store the model's parameters at each record.every step (under "
              "/parameter_snapshots/step_<N>; the last step's are /parameters), so that any "
              "recorded step can be recomputed and evaluated (attnlab eval --step N)"),
  };
  return keys;
}

// A section choosing a component of kind `Component`: its parameters come
// from that kind's registry, bound here rather than looked up by section name.
template <class Component>
ComponentSection section_of(std::string section, std::string selector, std::string default_name,
                            std::vector<std::string> extra = {}) {
  return {std::move(section), std::move(selector), std::move(default_name), std::move(extra),
          [](const std::string& name) { return registry_of<Component>().find(name).parameters; }};
}

const std::vector<ComponentSection>& component_sections() {
  static const TransformerConfig model;
  static const std::vector<ComponentSection> sections = {
      section_of<AttentionVariant>("attention", "variant", model.attention.name),
      section_of<PositionalEncoding>("positional", "kind", model.positional.name, {"randomized"}),
      section_of<HeadLayout>("heads", "layout", model.head_layout.name, {"count"}),
      section_of<Task>("task", "name", "reverse"),
  };
  return sections;
}

const std::vector<KeySpec>& experiment_keys() {
  static const std::vector<KeySpec> keys = {
      text("name", "the experiment's name (default: the file name)"),
      text("description", "free text, kept in the results"),
      text("base", "a YAML file this one inherits from and overrides (relative to this file)"),
      text("output", "output directory (default: runs/<name>)"),
      integer_list("seeds", "every arm runs once per seed (default: train.seed only)", 0),
      text("ablation", "axes and arms, see below (default: one arm, the base configuration)",
           "a block or a list of blocks (name, set, grid, zip)"),
      text("conclusion",
           "after the run, each arm against a baseline arm on one final figure, with a 95% "
           "interval (default: none)",
           "a block: figure, baseline[, versus][, paired]"),
      text("tune",
           "train each arm at every listed value of one train key and report it at the value "
           "whose validation figure (mean over seeds) is best (default: none)",
           "a block: one train key with a list of values[, select: loss | accuracy | "
           "exact_match][, seeds: a list of selection-only seeds]"),
      text("solved",
           "when a seed solved the task: tables add k of n seeds with a Clopper-Pearson 95% "
           "interval (default: none)",
           "a block: figure, and at_least (or at_most, where lower is better)"),
  };
  return keys;
}

bool switched_off(const ConfigNode* block) {
  return block == nullptr || block->is_null() || (block->is_scalar() && block->text().empty());
}

std::string describe_expected(const KeySpec& spec) {
  if (!spec.expected.empty()) return spec.expected;
  if (!spec.choices.empty()) return fmt::format("one of {}", fmt::join(spec.choices, " | "));
  std::string what;
  switch (spec.type) {
    case ValueType::integer:
      what = "an integer";
      break;
    case ValueType::number:
      what = "a number";
      break;
    case ValueType::boolean:
      return "true or false";
    case ValueType::text:
      return "text";
    case ValueType::integer_list:
      what = "a list of integers";
      break;
    case ValueType::text_list:
      return "a list of text values";
    case ValueType::task_settings:
      return "a list of maps of the task's parameters";
  }
  if (spec.min == kPositive && spec.max == kInf) return what + " > 0";
  return describe_range(what, spec.min, spec.max);
}

void check_value(const KeySpec& spec, const ConfigNode& value) {
  ConfigNode copy = value;
  canonicalise(spec, copy);
}

void resolve_trial(ConfigNode& config) {
  std::vector<std::string> known{"plugins", "model", "train", "eval", "record"};
  for (const ComponentSection& section : component_sections()) known.push_back(section.section);
  for (const auto& entry : config.entries())
    if (std::find(known.begin(), known.end(), entry.key) == known.end())
      fail_unknown_key(config, "", entry.key, known);
  for (const std::string section : {"model", "train", "eval", "record"}) {
    const ConfigNode& node = section_of(config, section);
    const std::vector<std::string> keys = section_keys(section);
    for (const auto& entry : node.entries())
      if (std::find(keys.begin(), keys.end(), entry.key) == keys.end())
        fail_unknown_key(node, section, entry.key, keys);
  }
  for (const ComponentSection& section : component_sections())
    resolve_component(section, section_of(config, section.section));
  for (const KeySpec& spec : trial_keys()) {
    const std::size_t dot = spec.path.find('.');
    ConfigNode& parent = dot == std::string::npos ? config : *config.find(spec.path.substr(0, dot));
    const std::string key = dot == std::string::npos ? spec.path : spec.path.substr(dot + 1);
    ConfigNode* value = parent.find(key);
    if (value == nullptr) {
      parent.set(key, is_list(spec.type) || spec.type == ValueType::task_settings
                          ? ConfigNode::sequence()
                          : ConfigNode::scalar(spec.default_value));
      value = parent.find(key);
    }
    if (spec.type == ValueType::task_settings)
      resolve_task_settings(spec, *value, *config.find("task"));
    else
      canonicalise(spec, *value);
  }
  config = canonical_order(config);
}

}  // namespace attnlab::schema

namespace attnlab {

std::string experiment_keys_markdown() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::string text = "| key | expected | default | meaning |\n|---|---|---|---|\n";
  const auto row = [&](const schema::KeySpec& spec, const std::string& fallback) {
    const std::string value = spec.default_value.empty() ? fallback : spec.default_value;
    std::string expected;
    for (const char c : schema::describe_expected(spec)) {
      if (c == '|') expected.push_back('\\');  // a literal bar inside a markdown table cell
      expected.push_back(c);
    }
    text += fmt::format("| `{}` | {} | {} | {} |\n", spec.path, expected,
                        value.empty() ? "" : fmt::format("`{}`", value), spec.doc);
  };
  for (const schema::KeySpec& spec : schema::experiment_keys())
    row(spec.path == "seeds" ? schema::KeySpec{spec.path,
                                               spec.type,
                                               "",
                                               spec.doc,
                                               0,
                                               kInf,
                                               {},
                                               fmt::format("a count N >= 1 (seeds 0..N-1) or "
                                                           "a list of integers >= 0; arms x "
                                                           "seeds <= {}",
                                                           kMaxTrials)}
                             : spec,
        "");
  for (const schema::KeySpec& spec : schema::trial_keys()) row(spec, "");
  for (const schema::ComponentSection& section : schema::component_sections())
    text += fmt::format(
        "| `{}.{}` | a registered name (`attnlab plugins`) | `{}` | the {} "
        "component; the section's other keys are its parameters |\n",
        section.section, section.selector, section.default_name, section.section);
  return text;
}

}  // namespace attnlab
