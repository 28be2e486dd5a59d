// Final figures: one rule builds and reads their names, and each says which way
// is better and its unit, from the metric that declares it.
#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/run/figures.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace attnlab;

TEST_CASE("figure names are built and read by one rule") {
  for (const Evaluation::Metric& metric : Evaluation::metrics()) {
    const Evaluation trained{.setting = "", .length = 8};
    const Evaluation longer{.setting = "", .length = 32};
    const Evaluation setting{.setting = "ignore_probability=0.98,length=9", .length = 9};
    for (const Evaluation& evaluation : {trained, longer, setting}) {
      const std::string name = final_figure_name(metric, evaluation, 8);
      const FigureName parts = parse_figure_name(name);
      INFO(name);
      REQUIRE(parts.evaluated);
      REQUIRE(parts.metric == metric.name);
      REQUIRE(parts.setting == evaluation.setting);
      REQUIRE(parts.length.has_value() == (evaluation.setting.empty() && evaluation.length == 32));
      REQUIRE(figure_name(parts.metric, parts.length, parts.setting) == name);
      REQUIRE(figure_meaning(name).better ==
              (metric.lower_is_better ? Better::lower : Better::higher));
      REQUIRE(figure_meaning(name).unit == std::string_view(metric.unit));
      REQUIRE(figure_meaning(name).low == metric.low);
      REQUIRE(figure_meaning(name).high == metric.high);
    }
  }
  const auto& metrics = Evaluation::metrics();
  const auto accuracy = std::find_if(metrics.begin(), metrics.end(), [](const auto& m) {
    return std::string_view(m.name) == "accuracy";
  });
  REQUIRE(accuracy != metrics.end());
  REQUIRE(final_figure_name(*accuracy, {.setting = "", .length = 32}, 8) == "eval_accuracy@32");
  REQUIRE(figure_meaning("train_loss").better == Better::lower);
  REQUIRE(figure_meaning("parameters").better == Better::neither);
}

TEST_CASE("every figure declares its range: fractions in [0, 1], losses and counts at least 0") {
  for (const auto& [name, meaning] : figure_kinds()) {
    INFO(name);
    REQUIRE(meaning.low == 0.0);
    if (meaning.unit == "fraction")
      REQUIRE(meaning.high == 1.0);
    else
      REQUIRE(std::isinf(meaning.high));
  }
  const FigureMeaning accuracy = figure_meaning("eval_accuracy@32");
  REQUIRE(accuracy.contains(0.0));
  REQUIRE(accuracy.contains(1.0));
  REQUIRE_FALSE(accuracy.contains(1.0001));
  REQUIRE_FALSE(accuracy.contains(-0.0001));
  REQUIRE_FALSE(accuracy.contains(std::numeric_limits<double>::quiet_NaN()));
  REQUIRE(figure_meaning("train_loss").contains(12.5));
}

TEST_CASE("a figure name that no rule makes is refused, naming it") {
  REQUIRE_THROWS_WITH(parse_figure_name("eval_accuracy@x"),
                      Catch::Matchers::Contains("'eval_accuracy@x' is not a figure name"));
  REQUIRE_THROWS_AS(parse_figure_name("eval_accuracy[k=v"), ConfigError);
  REQUIRE_THROWS_AS(parse_figure_name("eval_"), ConfigError);
  REQUIRE_THROWS_WITH(figure_meaning("eval_perplexity"),
                      Catch::Matchers::Contains("no metric gives a figure of that name"));
}
