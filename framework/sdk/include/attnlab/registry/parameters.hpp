// Parameters of a registered component: each declared once with its type,
// default and meaning; given values arrive as YAML scalar text and are checked
// against the declarations before any component is built.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace attnlab {

enum class ParameterType { integer, number, boolean, text };

/// The values a parameter accepts beyond its type; made by at_least(),
/// at_most(), in_range() or one_of() below.
struct ParameterLimits {
  double min = -std::numeric_limits<double>::infinity();  // integer and number: the range
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // text: the allowed values (empty = any text)
};

inline ParameterLimits at_least(double min) {
  return {min, std::numeric_limits<double>::infinity(), {}};
}
inline ParameterLimits at_most(double max) {
  return {-std::numeric_limits<double>::infinity(), max, {}};
}
inline ParameterLimits in_range(double min, double max) {
  return {min, max, {}};
}
inline ParameterLimits one_of(std::vector<std::string> choices) {
  return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
          std::move(choices)};
}

/// One documented parameter of a component. Values outside its limits are
/// refused (with the key's location) before the component is built, so a
/// factory need not check them again.
struct ParameterSpec {
  ParameterSpec(std::string name_, ParameterType type_, std::string default_value_,
                std::string doc_, ParameterLimits limits_ = {})
      : name(std::move(name_)),
        type(type_),
        default_value(std::move(default_value_)),
        doc(std::move(doc_)),
        limits(std::move(limits_)) {}

  std::string name;
  ParameterType type;
  std::string default_value;  // YAML scalar text, e.g. "64", "0.5", "true", "split"
  std::string doc;
  ParameterLimits limits;
};

/// The resolved values of a component's parameters (every declared one present).
class Parameters {
 public:
  using Value = std::variant<int64_t, double, bool, std::string>;

  int64_t integer(std::string_view name) const;
  double number(std::string_view name) const;
  bool boolean(std::string_view name) const;
  const std::string& text(std::string_view name) const;
  const std::map<std::string, Value, std::less<>>& values() const { return values_; }

  void set(std::string name, Value value);

 private:
  const Value& at(std::string_view name) const;
  std::map<std::string, Value, std::less<>> values_;
};

std::string to_string(ParameterType type);

/// `text` (YAML scalar text) as a value of `type`, or nothing if it is not one
/// (numbers must be finite; booleans are true or false).
std::optional<Parameters::Value> parse_parameter_value(ParameterType type, const std::string& text);
/// Whether `value` lies in [min, max] (integers and numbers) or among the
/// choices (text; none = any).
bool within_limits(const Parameters::Value& value, const ParameterLimits& limits);
/// `text` as a value of `spec`: of its type, in its range and choices.
std::optional<Parameters::Value> parse_parameter(const ParameterSpec& spec,
                                                 const std::string& text);
/// What `spec` accepts: "an integer >= 1", "a number in [0, 1]", "one of split | fixed", ...
std::string describe_expected(const ParameterSpec& spec);
/// "what", "what >= min", "what <= max" or "what in [min, max]".
std::string describe_range(const std::string& what, double min, double max);
/// Refuses (ConfigError naming `kind` and `component`) declarations that
/// cannot work: an empty or repeated name, choices on a parameter that is not
/// text, min > max, or a default that is not a value the parameter accepts.
void check_parameter_specs(std::string_view kind, std::string_view component,
                           const std::vector<ParameterSpec>& specs);
/// The canonical text of a value: what parse_parameter_value reads back to it.
std::string format_parameter_value(const Parameters::Value& value);

/// Checks `given` (name -> scalar text) against `specs` of component `component`
/// of kind `kind`, fills in defaults and converts types. Throws ConfigError for an
/// unknown name (listing the valid ones and the closest match) or a value that is
/// not one the parameter accepts (type, range, choices).
Parameters resolve_parameters(std::string_view kind, std::string_view component,
                              const std::vector<ParameterSpec>& specs,
                              const std::map<std::string, std::string>& given);

/// The candidate closest to `word` by edit distance, or "" if none is close
/// (more than a third of the letters differ).
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace attnlab
