#include "text_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace attnlab::analysis {

Cell mean_cell(const SampleSummary& s, MeanInterval kind) {
  return kind == MeanInterval::t ? interval(s.mean, s.ci_low, s.ci_high, "ci_")
                                 : interval(s.mean, s.boot_low, s.boot_high, "boot_");
}

Cell seeds_mean_cell(const std::vector<double>& values, MeanInterval kind) {
  return mean_cell(summarize(values), kind);
}

std::string mean_with_interval(MeanInterval kind) {
  return "mean [95% CI, " + describe(kind) + "]";
}
namespace {

std::string shown(double value, int digits) {
  if (std::isnan(value)) return "-";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // From 10^4 on, whole units (a parameter count, a step): 10848, not 1.085e+04,
  // the same way for a mean and its interval's bounds.
  if (std::abs(value) >= 1e4 && std::abs(value) < 1e15) return fmt::format("{:.0f}", value);
  return fmt::format("{:.{}g}", value, digits);
}

std::string shown(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::text:
      return cell.text;
    case Cell::Kind::number:
      return shown(cell.value, cell.digits);
    case Cell::Kind::interval: {
      if (std::isnan(cell.low)) return shown(cell.value, 4);
      // A bootstrap bound a hair from 0 on the cell's own scale is 0 to the eye: the
      // interpolation between the lowest resample means at 2 seeds leaves 3e-74. A t
      // interval's bound is shown as computed (its sign can matter).
      const double scale =
          cell.bounds == "boot_"
              ? std::max({std::abs(cell.value), std::abs(cell.low), std::abs(cell.high)})
              : 0.0;
      const auto in_scale = [&](double x) {
        return shown(std::abs(x) < 1e-12 * scale ? 0.0 : x, 4);
      };
      return fmt::format("{} [{}, {}]", in_scale(cell.value), in_scale(cell.low),
                         in_scale(cell.high));
    }
    case Cell::Kind::share:
      return cell.of == 0 ? "-"
                          : fmt::format("{} of {} [{:.2f}, {:.2f}]", cell.value, cell.of, cell.low,
                                        cell.high);
  }
  return "";
}

// The CSV and JSON fields of a number, an interval or a share: (name suffix, value).
std::vector<std::pair<std::string, double>> numeric_fields(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::interval:
      return {{"", cell.value},
              {"_" + cell.bounds + "low", cell.low},
              {"_" + cell.bounds + "high", cell.high}};
    case Cell::Kind::share:
      return {{"", cell.value}, {"_seeds", cell.of}, {"_low", cell.low}, {"_high", cell.high}};
    default:
      return {{"", cell.value}};
  }
}

std::string full(double value) {
  return std::isfinite(value) ? fmt::format("{:.17g}", value) : "";
}

std::string json_number(double value) {
  return std::isfinite(value) ? fmt::format("{:.17g}", value) : "null";
}

}  // namespace

std::string json_string(const std::string& value) {
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\')
      quoted += fmt::format("\\{}", c);
    else if (static_cast<unsigned char>(c) < 0x20)
      quoted += fmt::format("\\u{:04x}", c);
    else
      quoted += c;
  }
  return quoted + "\"";
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string quoted = "\"";
  for (const char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

namespace {

std::string markdown_cell(const std::string& value) {
  std::string escaped;
  for (const char c : value) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return escaped;
}

std::string as_table(const TextTable& table, bool markdown) {
  std::vector<std::size_t> width(table.columns.size());
  std::vector<std::vector<std::string>> cells;
  for (std::size_t c = 0; c < table.columns.size(); ++c) width[c] = table.columns[c].name.size();
  for (const auto& row : table.rows) {
    cells.emplace_back();
    for (std::size_t c = 0; c < row.size(); ++c) {
      cells.back().push_back(shown(row[c]));
      width[c] = std::max(width[c], cells.back().back().size());
    }
  }
  std::string out = markdown ? fmt::format("**{}**\n\n", table.title) : table.title + "\n";
  const auto line = [&](const std::vector<std::string>& values) {
    std::string text = markdown ? "|" : "";
    for (std::size_t c = 0; c < values.size(); ++c)
      text += markdown ? fmt::format(" {} |", markdown_cell(values[c]))
                       : fmt::format("{}{:<{}}", c ? "  " : "", values[c], width[c]);
    while (!markdown && !text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  std::vector<std::string> header;
  for (const Column& column : table.columns) header.push_back(column.name);
  out += line(header);
  if (markdown) {
    out += "|";
    for (std::size_t c = 0; c < table.columns.size(); ++c) out += c ? "---:|" : "---|";
    out += "\n";
  }
  for (const auto& row : cells) out += line(row);
  if (!table.notes.empty()) out += "\n";
  for (const std::string& note : table.notes)
    out += fmt::format("{}{}\n", markdown ? "- " : "note: ", note);
  return out;
}

std::string as_csv(const TextTable& table) {
  std::string out;
  // A column's fields follow its first row's kind (every row of a column has it).
  std::vector<std::string> names;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (table.rows.empty() || table.rows.front()[c].kind == Cell::Kind::text) {
      names.push_back(csv_field(table.columns[c].field));
      continue;
    }
    for (const auto& [suffix, value] : numeric_fields(table.rows.front()[c]))
      names.push_back(csv_field(table.columns[c].field + suffix));
  }
  out += fmt::format("{}\n", fmt::join(names, ","));
  for (const auto& row : table.rows) {
    std::vector<std::string> values;
    for (const Cell& cell : row) {
      if (cell.kind == Cell::Kind::text) {
        values.push_back(csv_field(cell.text));
        continue;
      }
      for (const auto& [suffix, value] : numeric_fields(cell)) values.push_back(full(value));
    }
    out += fmt::format("{}\n", fmt::join(values, ","));
  }
  return out;
}

std::string as_json(const TextTable& table) {
  std::string rows;
  for (const auto& row : table.rows) {
    std::string object;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      const std::string& key = table.columns[c].field;
      const auto add = [&](const std::string& name, const std::string& value) {
        object += fmt::format("{}{}: {}", object.empty() ? "" : ", ", json_string(name), value);
      };
      if (cell.kind == Cell::Kind::text) {
        add(key, json_string(cell.text));
        continue;
      }
      for (const auto& [suffix, value] : numeric_fields(cell))
        add(key + suffix, json_number(value));
    }
    rows += fmt::format("{}    {{{}}}", rows.empty() ? "" : ",\n", object);
  }
  std::string notes;
  for (const std::string& note : table.notes)
    notes += fmt::format("{}{}", notes.empty() ? "" : ", ", json_string(note));
  return fmt::format("{{\n  \"title\": {},\n  \"rows\": [\n{}\n  ],\n  \"notes\": [{}]\n}}\n",
                     json_string(table.title), rows, notes);
}

std::string as_html(const TextTable& table) {
  std::string out = fmt::format("<h3>{}</h3>\n<table>\n<tr>", html_escape(table.title));
  for (const Column& column : table.columns)
    out += fmt::format("<th>{}</th>", html_escape(column.name));
  out += "</tr>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (const Cell& cell : row)
      out += fmt::format("<td{}>{}</td>", cell.kind == Cell::Kind::text ? "" : " class=\"n\"",
                         html_escape(shown(cell)));
    out += "</tr>\n";
  }
  out += "</table>\n";
  if (!table.notes.empty()) {
    out += "<ul class=\"notes\">";
    for (const std::string& note : table.notes)
      out += fmt::format("<li>{}</li>", html_escape(note));
    out += "</ul>\n";
  }
  return out;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string render(const TextTable& table, TextFormat format) {
  switch (format) {
    case TextFormat::table:
      return as_table(table, false);
    case TextFormat::markdown:
      return as_table(table, true);
    case TextFormat::csv:
      return as_csv(table);
    case TextFormat::html:
      return as_html(table);
    case TextFormat::json:
      return as_json(table);
  }
  return "";
}

}  // namespace attnlab::analysis
