#include "attnlab/analysis/comparison_format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

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

const NamedChoices<MeanInterval>& mean_interval_names() {
  static const NamedChoices<MeanInterval> names{{"bootstrap", MeanInterval::bootstrap},
                                                {"t", MeanInterval::t}};
  return names;
}

std::string describe(MeanInterval interval) {
  return interval == MeanInterval::t ? "Student t"
                                     : "expanded percentile bootstrap, within the seeds' range";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();  // empty in CSV

Cell solved_cell(const std::optional<SolvedShare>& counted) {
  if (!counted || counted->seeds == 0) return share(kNaN, 0, kNaN, kNaN);  // empty in CSV
  return share(static_cast<double>(counted->solved), static_cast<double>(counted->seeds),
               counted->interval.low, counted->interval.high);
}

}  // namespace

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
  const bool solved = comparison.solved_at.has_value();
  const bool lower = figure_meaning(comparison.figure).better == Better::lower;
  const bool paired = comparison.pairing == Pairing::by_seed;
  table.title = fmt::format(
      "{}: each arm against baseline {} over seeds (mean with its 95% interval, {}; {}{})",
      comparison.figure, comparison.baseline_choice, describe(comparison.interval),
      solved ? fmt::format("seeds solved ({} {} {}) with the Clopper-Pearson 95% interval; ",
                           comparison.figure, lower ? "<=" : ">=", *comparison.solved_at)
             : "",
      paired ? "paired by seed: the mean of the seeds' differences with its paired t 95% "
               "interval; paired t and Wilcoxon signed-rank p, Holm-adjusted"
             : "difference with Welch's 95% interval; Welch and Mann-Whitney p, Holm-adjusted");
  table.columns = {{"arm", "arm"}, {"seeds", "seeds"}};
  if (paired) table.columns.push_back({"pairs", "pairs"});
  table.columns.push_back({"mean [95% CI]", "mean"});
  if (solved) table.columns.push_back({"solved", "solved"});
  table.columns.insert(table.columns.end(),
                       {{"baseline", "baseline"}, {"baseline mean", "baseline_mean"}});
  if (solved) table.columns.push_back({"baseline solved", "baseline_solved"});
  const TestNames names = test_names(comparison.pairing);
  table.columns.insert(table.columns.end(), {{names.difference_column, names.difference_field},
                                             {names.mean_column, names.mean_field + "_p"},
                                             {"Holm", names.mean_field + "_p_holm"},
                                             {names.rank_column, names.rank_field + "_p"},
                                             {"Holm", names.rank_field + "_p_holm"},
                                             {names.rank_mode_column, names.rank_field + "_test"},
                                             {"verdict", "verdict"}});
  if (comparison.tuned) table.columns.push_back({"provisional", "provisional"});
  for (const ArmComparison& row : comparison.rows) {
    std::vector<Cell> cells{
        text(row.arm.arm),
        text(fmt::format("{}/{} vs {}/{}", row.arm.values.size(), row.arm.planned,
                         row.baseline.values.size(), row.baseline.planned))};
    if (paired) cells.push_back(number(static_cast<double>(row.pairs)));
    cells.push_back(mean_cell(row.arm.summary, comparison.interval));
    if (solved) cells.push_back(solved_cell(row.arm.solved));
    cells.push_back(text(row.baseline.arm));
    cells.push_back(mean_cell(row.baseline.summary, comparison.interval));
    if (solved) cells.push_back(solved_cell(row.baseline.solved));
    // No spread in any seed (or every pair differing alike): a point, not a 95% interval.
    const bool spread = row.difference.ci_low != row.difference.ci_high;
    cells.insert(cells.end(),
                 {interval(row.difference.difference, spread ? row.difference.ci_low : kNaN,
                           spread ? row.difference.ci_high : kNaN),
                  number(row.mean_test.p, 3), number(row.mean_holm, 3), number(row.rank.p, 3),
                  number(row.rank_holm, 3),
                  text(std::isnan(row.rank.p) ? "-"
                       : row.rank.exact       ? "exact"
                                              : "normal approx."),
                  text(row.verdict)});
    if (comparison.tuned) cells.push_back(number(row.provisional ? 1.0 : 0.0));
    table.rows.push_back(std::move(cells));
  }
  table.notes = comparison.notes;
  return render(table, format);
}

std::string format_steps_to_target(const std::vector<StepsToTarget>& rows,
                                   const std::string& figure, double target, TextFormat format,
                                   MeanInterval kind) {
  TextTable table;
  const bool lower = figure_meaning(figure).better == Better::lower;
  table.title = fmt::format(
      "steps until {} first reached {} {} (over the seeds that reached it; 95% interval, {})",
      figure, lower ? "<=" : ">=", target, describe(kind));
  table.columns = {{"arm", "arm"},
                   {"reached", "reached"},
                   {"seeds", "seeds"},
                   {"steps mean [95% CI]", "steps"},
                   {"median", "median"}};
  for (const StepsToTarget& row : rows) {
    table.rows.push_back({text(row.arm), number(static_cast<double>(row.reached)),
                          number(static_cast<double>(row.seeds)), mean_cell(row.steps, kind),
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
                                    TextFormat format, MeanInterval kind) {
  TextTable table;
  table.title = fmt::format(
      "{} at every evaluated length (mean [95% CI, {}] over finished seeds; "
      "the first length is the training length)",
      figure, describe(kind));
  table.columns.push_back({"arm", "arm"});
  for (const std::string& length : lengths.lengths)
    table.columns.push_back({"L=" + length, "length_" + length});
  for (std::size_t a = 0; a < lengths.arms.size(); ++a) {
    std::vector<Cell> row{text(lengths.arms[a])};
    for (const SampleSummary& s : lengths.summary[a]) row.push_back(mean_cell(s, kind));
    table.rows.push_back(std::move(row));
  }
  return render(table, format);
}

}  // namespace attnlab::analysis
