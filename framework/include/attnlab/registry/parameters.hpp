// Parameters of a registered component: each declared once with its type,
// default and meaning; given values arrive as YAML scalar text and are checked
// against the declarations before any component is built.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace attnlab {

enum class ParameterType { integer, number, boolean, text };

/// One documented parameter of a component.
struct ParameterSpec {
  std::string name;
  ParameterType type;
  std::string default_value;  // YAML scalar text, e.g. "64", "0.5", "true", "split"
  std::string doc;
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
/// The canonical text of a value: what parse_parameter_value reads back to it.
std::string format_parameter_value(const Parameters::Value& value);

/// Checks `given` (name -> scalar text) against `specs` of component `component`
/// of kind `kind`, fills in defaults and converts types. Throws ConfigError for an
/// unknown name (listing the valid ones and the closest match) or a value that is
/// not of the declared type.
Parameters resolve_parameters(std::string_view kind, std::string_view component,
                              const std::vector<ParameterSpec>& specs,
                              const std::map<std::string, std::string>& given);

/// The candidate closest to `word` by edit distance, or "" if none is close
/// (more than a third of the letters differ).
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace attnlab
