#include "parameter_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace attnlab::conformance {
namespace {

// Candidate texts for one parameter; those it does not accept are dropped later.
std::vector<std::string> probes(const ParameterSpec& spec) {
  const ParameterLimits& l = spec.limits;
  switch (spec.type) {
    case ParameterType::boolean:
      return {"true", "false"};
    case ParameterType::text:
      return l.choices;
    case ParameterType::integer: {
      const double given = std::strtod(spec.default_value.c_str(), nullptr);
      std::vector<double> values{
          l.min, l.min + 1, l.max, 1, 2, 4, 8, 2 * given, std::floor(given / 2)};
      std::vector<std::string> texts;
      for (const double v : values)
        if (std::isfinite(v) && std::abs(v) < 1e9) texts.push_back(fmt::format("{}", int64_t(v)));
      return texts;
    }
    case ParameterType::number: {
      const double given = std::strtod(spec.default_value.c_str(), nullptr);
      std::vector<std::string> texts;
      for (const double v : {l.min, l.max, given / 2, 2 * given, 0.0, 0.5, 1.0})
        if (std::isfinite(v)) texts.push_back(fmt::format("{}", v));
      return texts;
    }
  }
  return {};
}

}  // namespace

std::vector<ParameterSetting> parameter_settings(const std::vector<ParameterSpec>& specs) {
  std::vector<ParameterSetting> settings{{}};
  for (const ParameterSpec& spec : specs) {
    const auto default_value = parse_parameter(spec, spec.default_value);
    for (const std::string& text : probes(spec)) {
      const auto value = parse_parameter(spec, text);
      if (!value || value == default_value) continue;
      const ParameterSetting setting{{spec.name, text}};
      if (std::find(settings.begin(), settings.end(), setting) == settings.end())
        settings.push_back(setting);
    }
  }
  return settings;
}

std::string describe(const ParameterSetting& setting) {
  if (setting.empty()) return "defaults";
  std::string text;
  for (const auto& [name, value] : setting)
    text += fmt::format("{}{}={}", text.empty() ? "" : ", ", name, value);
  return text;
}

}  // namespace attnlab::conformance
