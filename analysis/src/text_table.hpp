// A table of results as the analysis commands print it: rounded in an aligned
// table or markdown, every digit in CSV and JSON (private to analysis/).
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/comparison_format.hpp"

namespace attnlab::analysis {

// A cell shows rounded; CSV and JSON get every digit. An interval is one
// column on screen ("0.95 [0.90, 1.00]") and three in CSV and JSON.
struct Cell {
  enum class Kind { text, number, interval } kind = Kind::text;
  std::string text;
  double value = 0.0, low = 0.0, high = 0.0;
  int digits = 4;  // significant digits shown
};

inline Cell text(std::string value) {
  return {Cell::Kind::text, std::move(value)};
}
inline Cell number(double value, int digits = 4) {
  return {Cell::Kind::number, "", value, 0.0, 0.0, digits};
}
inline Cell interval(double value, double low, double high) {
  return {Cell::Kind::interval, "", value, low, high, 4};
}

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
