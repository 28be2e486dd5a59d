// A table of results as the analysis commands print it: rounded in an aligned
// table or markdown, every digit in CSV and JSON (private to analysis/).
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/stats/sample_summary.hpp"

namespace attnlab::analysis {

// A cell shows rounded; CSV and JSON get every digit. An interval is one
// column on screen ("0.95 [0.90, 1.00]") and three in CSV and JSON: the value,
// <field>_<bounds>low and _<bounds>high (bounds "boot_" or "ci_" name which
// interval, as results.csv does). A share of seeds ("3 of 5 [0.15, 0.95]") is
// four: the count, <field>_seeds, <field>_low and <field>_high.
struct Cell {
  enum class Kind { text, number, interval, share } kind = Kind::text;
  std::string text;
  double value = 0.0, low = 0.0, high = 0.0;
  int digits = 4;      // significant digits shown
  std::string bounds;  // an interval's field infix
  double of = 0.0;     // a share's seeds
};

inline Cell text(std::string value) {
  return {Cell::Kind::text, std::move(value), 0.0, 0.0, 0.0, 4, "", 0.0};
}
inline Cell number(double value, int digits = 4) {
  return {Cell::Kind::number, "", value, 0.0, 0.0, digits, "", 0.0};
}
inline Cell interval(double value, double low, double high, std::string bounds = "") {
  return {Cell::Kind::interval, "", value, low, high, 4, std::move(bounds), 0.0};
}
/// `count` of `of` seeds with the interval [low, high] of the share; "-" when of is 0.
inline Cell share(double count, double of, double low, double high) {
  return {Cell::Kind::share, "", count, low, high, 4, "", of};
}

/// A mean over seeds with the interval `kind` names: fields <field>_boot_low
/// and _boot_high (bootstrap) or <field>_ci_low and _ci_high (t).
Cell mean_cell(const SampleSummary& summary, MeanInterval kind);
/// The same for a figure's values over seeds.
Cell seeds_mean_cell(const std::vector<double>& values, MeanInterval kind);
/// What a title says such a cell holds: "mean [95% CI, <the interval>]".
std::string mean_with_interval(MeanInterval kind);

struct Column {
  std::string name;   // as the terminal and markdown show it
  std::string field;  // CSV and JSON name
};

struct TextTable {
  std::string title;
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;
};

/// The table in `format`.
std::string render(const TextTable& table, TextFormat format);

/// `value` as one CSV field (quoted, its quotes doubled, when it needs to be).
std::string csv_field(const std::string& value);

/// A JSON string literal of `value`.
std::string json_string(const std::string& value);

}  // namespace attnlab::analysis
