#include "attnlab/analysis/comparison_format.hpp"

#include <fmt/format.h>

#include <cmath>

#include "attnlab/run/figures.hpp"
#include "text_table.hpp"

namespace attnlab::analysis {

const NamedChoices<TextFormat>& text_format_names() {
  static const NamedChoices<TextFormat> names{{"table", TextFormat::table},
                                              {"md", TextFormat::markdown},
                                              {"csv", TextFormat::csv},
                                              {"json", TextFormat::json},
                                              {"html", TextFormat::html}};
  return names;
}

std::string join_sections(const std::vector<std::string>& sections, TextFormat format) {
  if (format == TextFormat::json) {
    std::string text = "[\n";
    for (std::size_t i = 0; i < sections.size(); ++i)
      text +=
          sections[i].substr(0, sections[i].size() - 1) + (i + 1 < sections.size() ? ",\n" : "\n");
    return text + "]\n";
  }
  std::string text;
  for (std::size_t i = 0; i < sections.size(); ++i) text += (i ? "\n" : "") + sections[i];
  return text;
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
         number(row.rank_holm, 3),
         text(std::isnan(row.rank.p) ? "-"
              : row.rank.exact       ? "exact"
                                     : "normal approx."),
         text(row.verdict)});
  }
  table.notes = comparison.notes;
  return render(table, format);
}

std::string format_steps_to_target(const std::vector<StepsToTarget>& rows,
                                   const std::string& figure, double target, TextFormat format) {
  TextTable table;
  const bool lower = figure_meaning(figure).better == Better::lower;
  table.title = fmt::format("steps until {} first reached {} {} (over the seeds that reached it)",
                            figure, lower ? "<=" : ">=", target);
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
    if (row.reached == 0 && row.seeds > 0)
      table.notes.push_back(fmt::format(
          "{}: none of its {} seeds reached it by the end of its curve", row.arm, row.seeds));
    else if (row.reached < row.seeds)
      table.notes.push_back(fmt::format(
          "{}: {} of {} seeds never reached it by the end of their curve; their steps are "
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
