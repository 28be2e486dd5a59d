#include "attnlab/run/figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "attnlab/error.hpp"
#include "attnlab/io/trial_file_paths.hpp"

namespace attnlab {
namespace {

constexpr std::string_view kEvaluatedPrefix = "eval_";

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

[[noreturn]] void malformed(std::string_view name, std::string_view why) {
  throw ConfigError(fmt::format(
      "'{}' is not a figure name: {} (expected eval_<metric>, eval_<metric>@<length> or "
      "eval_<metric>[<setting>])",
      name, why));
}

}  // namespace

std::string_view to_string(Better better) {
  switch (better) {
    case Better::higher:
      return "higher";
    case Better::lower:
      return "lower";
    case Better::neither:
      break;
  }
  return "neither";
}

std::string figure_name(std::string_view metric, std::optional<int64_t> length,
                        std::string_view setting) {
  std::string name = fmt::format("{}{}", kEvaluatedPrefix, metric);
  if (!setting.empty()) return fmt::format("{}[{}]", name, setting);
  return length ? fmt::format("{}@{}", name, *length) : name;
}

std::string final_figure_name(const Evaluation::Metric& metric, const Evaluation& evaluation,
                              int64_t trained_length) {
  if (!evaluation.setting.empty())
    return figure_name(metric.name, std::nullopt, evaluation.setting);
  return figure_name(metric.name, evaluation.length == trained_length
                                      ? std::nullopt
                                      : std::optional<int64_t>(evaluation.length));
}

FigureName parse_figure_name(std::string_view name) {
  FigureName parts;
  if (name.substr(0, kEvaluatedPrefix.size()) != kEvaluatedPrefix) {
    parts.metric = name;
    return parts;
  }
  parts.evaluated = true;
  std::string_view rest = name.substr(kEvaluatedPrefix.size());
  if (const auto open = rest.find('['); open != std::string_view::npos) {
    if (rest.back() != ']') malformed(name, "a '[' without its closing ']'");
    parts.setting = rest.substr(open + 1, rest.size() - open - 2);
    rest = rest.substr(0, open);
  }
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    if (!all_digits(rest.substr(at + 1))) malformed(name, "the length after '@' is not a number");
    parts.length = std::stoll(std::string(rest.substr(at + 1)));
    rest = rest.substr(0, at);
  }
  if (rest.empty()) malformed(name, "no metric");
  parts.metric = rest;
  return parts;
}

CurvePaths curve_paths(std::string_view name, int64_t training_length) {
  const FigureName parts = parse_figure_name(name);
  if (!parts.evaluated && parts.metric == kTrainLossFigure)
    return {trial_paths::train_steps, fmt::format("{}/loss", trial_paths::train)};
  if (!parts.evaluated)
    throw ConfigError(
        fmt::format("'{}' has no curve: curves exist for train_loss and the eval_ figures", name));
  return {trial_paths::evaluation_steps,
          fmt::format(
              "{}/{}",
              trial_paths::evaluation_group(parts.setting, parts.length.value_or(training_length)),
              parts.metric)};
}

FigureMeaning figure_meaning(std::string_view name) {
  const FigureName parts = parse_figure_name(name);
  if (!parts.evaluated) {
    constexpr double kUnbounded = std::numeric_limits<double>::infinity();
    if (parts.metric == kTrainLossFigure) return {Better::lower, "nats", 0.0, kUnbounded};
    if (parts.metric == kParametersFigure) return {Better::neither, "count", 0.0, kUnbounded};
  } else {
    for (const Evaluation::Metric& metric : Evaluation::metrics())
      if (parts.metric == metric.name)
        return {metric.lower_is_better ? Better::lower : Better::higher, metric.unit, metric.low,
                metric.high};
  }
  throw ConfigError(fmt::format("'{}': no metric gives a figure of that name", name));
}

std::vector<std::pair<std::string, FigureMeaning>> figure_kinds() {
  std::vector<std::pair<std::string, FigureMeaning>> kinds;
  for (const char* whole : {kTrainLossFigure, kParametersFigure})
    kinds.emplace_back(whole, figure_meaning(whole));
  for (const Evaluation::Metric& metric : Evaluation::metrics())
    kinds.emplace_back(figure_name(metric.name), figure_meaning(figure_name(metric.name)));
  return kinds;
}

}  // namespace attnlab
