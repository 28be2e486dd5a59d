#include "attnlab/analysis/comparison_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace attnlab::analysis {
namespace {

// A cell shows rounded; CSV and JSON get every digit. An interval is one
// column on screen ("0.95 [0.90, 1.00]") and three in CSV and JSON.
struct Cell {
  enum class Kind { text, number, interval } kind = Kind::text;
  std::string text;
  double value = 0.0, low = 0.0, high = 0.0;
  int digits = 4;  // significant digits shown
};

Cell text(std::string value) {
  return {Cell::Kind::text, std::move(value)};
}
Cell number(double value, int digits = 4) {
  return {Cell::Kind::number, "", value, 0.0, 0.0, digits};
}
Cell interval(double value, double low, double high) {
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

std::string shown(double value, int digits) {
  if (std::isnan(value)) return "-";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:.{}g}", value, digits);
}

std::string shown(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::text:
      return cell.text;
    case Cell::Kind::number:
      return shown(cell.value, cell.digits);
    case Cell::Kind::interval:
      return std::isnan(cell.low) ? shown(cell.value, 4)
                                  : fmt::format("{} [{}, {}]", shown(cell.value, 4),
                                                shown(cell.low, 4), shown(cell.high, 4));
  }
  return "";
}

std::string full(double value) {
  return std::isfinite(value) ? fmt::format("{:.17g}", value) : "";
}

std::string json_number(double value) {
  return std::isfinite(value) ? fmt::format("{:.17g}", value) : "null";
}

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
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (const char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
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
      text += markdown ? fmt::format(" {} |", values[c])
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
  // Intervals become three columns: the value, _low and _high.
  std::vector<std::string> names;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    names.push_back(table.columns[c].field);
    if (!table.rows.empty() && table.rows.front()[c].kind == Cell::Kind::interval) {
      names.push_back(table.columns[c].field + "_low");
      names.push_back(table.columns[c].field + "_high");
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + csv_field(names[i]);
  out += "\n";
  for (const auto& row : table.rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      std::vector<std::string> values;
      if (cell.kind == Cell::Kind::text)
        values.push_back(csv_field(cell.text));
      else
        values.push_back(full(cell.value));
      if (cell.kind == Cell::Kind::interval) {
        values.push_back(full(cell.low));
        values.push_back(full(cell.high));
      }
      for (const std::string& value : values) line += (line.empty() && c == 0 ? "" : ",") + value;
    }
    out += line + "\n";
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
      add(key, json_number(cell.value));
      if (cell.kind == Cell::Kind::interval) {
        add(key + "_low", json_number(cell.low));
        add(key + "_high", json_number(cell.high));
      }
    }
    rows += fmt::format("{}    {{{}}}", rows.empty() ? "" : ",\n", object);
  }
  std::string notes;
  for (const std::string& note : table.notes)
    notes += fmt::format("{}{}", notes.empty() ? "" : ", ", json_string(note));
  return fmt::format("{{\n  \"title\": {},\n  \"rows\": [\n{}\n  ],\n  \"notes\": [{}]\n}}\n",
                     json_string(table.title), rows, notes);
}

std::string render(const TextTable& table, TextFormat format) {
  switch (format) {
    case TextFormat::table:
      return as_table(table, false);
    case TextFormat::markdown:
      return as_table(table, true);
    case TextFormat::csv:
      return as_csv(table);
    case TextFormat::json:
      return as_json(table);
  }
  return "";
}

}  // namespace

const NamedChoices<TextFormat>& text_format_names() {
  static const NamedChoices<TextFormat> names{{"table", TextFormat::table},
                                              {"md", TextFormat::markdown},
                                              {"csv", TextFormat::csv},
                                              {"json", TextFormat::json}};
  return names;
}

std::string format_comparison(const ComparisonTable& comparison, TextFormat format) {
  TextTable table;
  table.title = fmt::format(
      "{}: each arm against baseline {} over seeds (mean with its 95% interval; difference "
      "with Welch's 95% interval; Welch and Mann-Whitney p, Holm-adjusted)",
      comparison.figure, comparison.baseline_choice);
  table.columns = {{"arm", "arm"},
                   {"seeds", "seeds"},
                   {"mean [95% CI]", "mean"},
                   {"baseline", "baseline"},
                   {"baseline mean", "baseline_mean"},
                   {"difference [95% CI]", "difference"},
                   {"Welch p", "welch_p"},
                   {"Holm", "welch_p_holm"},
                   {"rank p", "rank_p"},
                   {"Holm", "rank_p_holm"},
                   {"rank test", "rank_test"},
                   {"verdict", "verdict"}};
  for (const ArmComparison& row : comparison.rows) {
    const SampleSummary& a = row.arm.summary;
    table.rows.push_back(
        {text(row.arm.arm),
         text(fmt::format("{}/{} vs {}/{}", row.arm.values.size(), row.arm.planned,
                          row.baseline.values.size(), row.baseline.planned)),
         interval(a.mean, a.ci_low, a.ci_high), text(row.baseline.arm),
         interval(row.baseline.summary.mean, row.baseline.summary.ci_low,
                  row.baseline.summary.ci_high),
         interval(row.difference.difference, row.difference.ci_low, row.difference.ci_high),
         number(row.welch.p, 3), number(row.welch_holm, 3), number(row.rank.p, 3),
         number(row.rank_holm, 3), text(row.rank.exact ? "exact" : "normal approx."),
         text(row.verdict)});
  }
  table.notes = comparison.notes;
  return render(table, format);
}

std::string format_steps_to_target(const std::vector<StepsToTarget>& rows,
                                   const std::string& figure, double target, TextFormat format) {
  TextTable table;
  const bool loss = figure.find("loss") != std::string::npos;
  table.title = fmt::format("steps until {} first reached {} {} (over the seeds that reached it)",
                            figure, loss ? "<=" : ">=", target);
  table.columns = {{"arm", "arm"},
                   {"reached", "reached"},
                   {"seeds", "seeds"},
                   {"steps mean [95% CI]", "steps"},
                   {"median", "median"}};
  for (const StepsToTarget& row : rows) {
    table.rows.push_back({text(row.arm), number(static_cast<double>(row.reached)),
                          number(static_cast<double>(row.seeds)),
                          interval(row.steps.mean, row.steps.ci_low, row.steps.ci_high),
                          number(row.median, 6)});
    if (row.reached < row.seeds)
      table.notes.push_back(fmt::format(
          "{}: {} of {} seeds never reached it by their last evaluation; their steps are "
          "unknown (later than the run), so the mean is of the others only",
          row.arm, row.seeds - row.reached, row.seeds));
  }
  return render(table, format);
}

std::string format_figure_by_length(const FigureByLength& lengths, const std::string& figure,
                                    TextFormat format) {
  TextTable table;
  table.title = fmt::format(
      "{} at every evaluated length (mean [95% CI] over finished seeds; "
      "the first length is the training length)",
      figure);
  table.columns.push_back({"arm", "arm"});
  for (const std::string& length : lengths.lengths)
    table.columns.push_back({"L=" + length, "length_" + length});
  for (std::size_t a = 0; a < lengths.arms.size(); ++a) {
    std::vector<Cell> row{text(lengths.arms[a])};
    for (const SampleSummary& s : lengths.summary[a])
      row.push_back(interval(s.mean, s.ci_low, s.ci_high));
    table.rows.push_back(std::move(row));
  }
  return render(table, format);
}

}  // namespace attnlab::analysis
