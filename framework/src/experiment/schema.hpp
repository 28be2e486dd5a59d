// Every key an experiment file may hold: its type, default, range and meaning.
// One table serves validation, the fully resolved configuration and docs.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "attnlab/experiment/config_tree.hpp"
#include "attnlab/registry/parameters.hpp"

namespace attnlab::schema {

enum class ValueType {
  integer,
  number,
  boolean,
  text,
  integer_list,
  text_list,
  task_settings,  // a list of maps, each some of the chosen task's parameters (eval.settings)
};

struct KeySpec {
  std::string path;  // dotted, e.g. "model.d_model"
  ValueType type;
  std::string default_value;  // YAML text; lists: "[]"
  std::string doc;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // text keys: the allowed values (empty = any text)
  std::string expected = "";         // overrides the generated "expected ..." text
};

/// A section that picks a registered component by name; its other keys are the
/// component's parameters (plus `extra`, fixed keys of the section itself).
struct ComponentSection {
  std::string section;   // "attention"
  std::string selector;  // "variant"
  std::string default_name;
  std::vector<std::string> extra;  // fixed keys listed in fixed_keys(), e.g. heads.count
  /// The declared parameters of the registered component `name` of the section's kind.
  std::vector<ParameterSpec> (*parameters_of)(const std::string& name);
};

/// The keys of a trial configuration other than component parameters.
const std::vector<KeySpec>& trial_keys();
const std::vector<ComponentSection>& component_sections();
/// Top-level keys that describe the experiment rather than one trial.
const std::vector<KeySpec>& experiment_keys();

/// "an integer >= 1", "one of pre | post", ...
std::string describe_expected(const KeySpec& spec);

/// Checks a trial configuration (plugins, model, attention, positional, heads,
/// task, train, eval, record), fills in every default and rewrites values in
/// canonical form. Throws ConfigError "file:line:col: key: found ..., expected ...".
void resolve_trial(ConfigNode& config);

/// Checks one top-level experiment key's value (name, output, seeds, ...).
void check_value(const KeySpec& spec, const ConfigNode& value);

/// An optional block (tune, solved, conclusion) absent, null or empty: `-o KEY=`
/// switches a file's block off.
bool switched_off(const ConfigNode* block);

}  // namespace attnlab::schema
