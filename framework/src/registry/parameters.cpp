#include "attnlab/registry/parameters.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two adjacent letters ("modle" -> "model") each count one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::optional<Parameters::Value> parse_parameter_value(ParameterType type,
                                                       const std::string& text) {
  switch (type) {
    case ParameterType::integer: {
      int64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return value;
    }
    case ParameterType::number: {
      // from_chars: the same in every locale; only finite numbers are numbers here.
      double value = 0.0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
      return value;
    }
    case ParameterType::boolean:
      if (text == "true") return true;
      if (text == "false") return false;
      return std::nullopt;
    case ParameterType::text:
      return text;
  }
  return std::nullopt;
}

std::string format_parameter_value(const Parameters::Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>)
          return v;
        else
          return fmt::format("{}", v);
      },
      value);
}

bool within_limits(const Parameters::Value& value, const ParameterLimits& limits) {
  const auto in_range = [&](double x) { return x >= limits.min && x <= limits.max; };
  if (const auto* integer = std::get_if<int64_t>(&value))
    return in_range(static_cast<double>(*integer));
  if (const auto* number = std::get_if<double>(&value)) return in_range(*number);
  if (const auto* text = std::get_if<std::string>(&value))
    return limits.choices.empty() ||
           std::find(limits.choices.begin(), limits.choices.end(), *text) != limits.choices.end();
  return true;
}

std::optional<Parameters::Value> parse_parameter(const ParameterSpec& spec,
                                                 const std::string& text) {
  auto value = parse_parameter_value(spec.type, text);
  if (value && !within_limits(*value, spec.limits)) return std::nullopt;
  return value;
}

std::string describe_range(const std::string& what, double min, double max) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (min > -kInf && max < kInf) return fmt::format("{} in [{}, {}]", what, min, max);
  if (min > -kInf) return fmt::format("{} >= {}", what, min);
  if (max < kInf) return fmt::format("{} <= {}", what, max);
  return what;
}

std::string describe_expected(const ParameterSpec& spec) {
  switch (spec.type) {
    case ParameterType::integer:
      return describe_range("an integer", spec.limits.min, spec.limits.max);
    case ParameterType::number:
      return describe_range("a finite number", spec.limits.min, spec.limits.max);
    case ParameterType::boolean:
      return "true or false";
    case ParameterType::text:
      return spec.limits.choices.empty()
                 ? "text"
                 : fmt::format("one of {}", fmt::join(spec.limits.choices, " | "));
  }
  return "?";
}

void check_parameter_specs(std::string_view kind, std::string_view component,
                           const std::vector<ParameterSpec>& specs) {
  std::vector<std::string> seen;
  for (const ParameterSpec& spec : specs) {
    const auto refuse = [&](const std::string& why) {
      throw ConfigError(fmt::format("{} '{}': parameter '{}' {}", kind, component, spec.name, why));
    };
    if (spec.name.empty()) refuse("has an empty name");
    if (std::find(seen.begin(), seen.end(), spec.name) != seen.end()) refuse("is declared twice");
    seen.push_back(spec.name);
    if (!spec.limits.choices.empty() && spec.type != ParameterType::text)
      refuse("declares choices, which only text parameters take");
    if (spec.limits.min > spec.limits.max)
      refuse(fmt::format("declares min {} > max {}", spec.limits.min, spec.limits.max));
    if (!parse_parameter(spec, spec.default_value))
      refuse(fmt::format("declares default '{}', which is not {}", spec.default_value,
                         describe_expected(spec)));
  }
}

std::string to_string(ParameterType type) {
  switch (type) {
    case ParameterType::integer:
      return "integer";
    case ParameterType::number:
      return "number";
    case ParameterType::boolean:
      return "boolean";
    case ParameterType::text:
      return "text";
  }
  return "?";
}

const Parameters::Value& Parameters::at(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw ConfigError(fmt::format("no parameter '{}' was declared", name));
  return it->second;
}

template <class T>
static const T& typed(const Parameters::Value& value, std::string_view name, const char* type) {
  if (const T* v = std::get_if<T>(&value)) return *v;
  throw ConfigError(fmt::format("parameter '{}' is not declared as {}", name, type));
}

int64_t Parameters::integer(std::string_view name) const {
  return typed<int64_t>(at(name), name, "an integer");
}
double Parameters::number(std::string_view name) const {
  return typed<double>(at(name), name, "a number");
}
bool Parameters::boolean(std::string_view name) const {
  return typed<bool>(at(name), name, "a boolean");
}
const std::string& Parameters::text(std::string_view name) const {
  return typed<std::string>(at(name), name, "text");
}

void Parameters::set(std::string name, Value value) {
  values_[std::move(name)] = std::move(value);
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

Parameters resolve_parameters(std::string_view kind, std::string_view component,
                              const std::vector<ParameterSpec>& specs,
                              const std::map<std::string, std::string>& given) {
  std::vector<std::string> declared;
  for (const ParameterSpec& spec : specs) declared.push_back(spec.name);
  for (const auto& [name, text] : given) {
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
    const std::string suggestion = closest_match(name, declared);
    throw ConfigError(fmt::format(
        "{} '{}' has no parameter '{}'{}; its parameters are: {}", kind, component, name,
        suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
        declared.empty() ? "(none)" : fmt::format("{}", fmt::join(declared, ", "))));
  }
  Parameters resolved;
  for (const ParameterSpec& spec : specs) {
    const auto it = given.find(spec.name);
    const std::string& text = it == given.end() ? spec.default_value : it->second;
    auto value = parse_parameter(spec, text);
    if (!value)
      throw ConfigError(fmt::format("{} '{}': parameter '{}' must be {} ({}), got '{}'", kind,
                                    component, spec.name, describe_expected(spec), spec.doc, text));
    resolved.set(spec.name, std::move(*value));
  }
  return resolved;
}

}  // namespace attnlab
