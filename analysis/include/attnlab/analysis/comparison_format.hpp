// The comparisons of arm_comparison.hpp as text: an aligned table for the
// terminal, markdown, CSV (one row per arm, every figure in full precision)
// JSON (everything, for tools) or an HTML fragment (the report).
#pragma once

#include <string>
#include <vector>

#include "attnlab/analysis/arm_comparison.hpp"
#include "attnlab/named_choices.hpp"

namespace attnlab::analysis {

enum class TextFormat { table, markdown, csv, json, html };
const NamedChoices<TextFormat>& text_format_names();  // table | md | csv | json | html

/// `text` with & < > " escaped for HTML.
std::string html_escape(const std::string& text);

/// Several sections as one output: one after another, or for JSON one array
/// holding each section's object (so a tool reads one document).
std::string join_sections(const std::vector<std::string>& sections, TextFormat format);

const NamedChoices<MeanInterval>& mean_interval_names();  // bootstrap | t
/// What a table says of the interval it shows: "bootstrap, ..." or "Student t".
std::string describe(MeanInterval interval);

std::string format_comparison(const ComparisonTable& table, TextFormat format);
std::string format_steps_to_target(const std::vector<StepsToTarget>& rows,
                                   const std::string& figure, double target, TextFormat format,
                                   MeanInterval interval = MeanInterval::bootstrap);
std::string format_figure_by_length(const FigureByLength& table, const std::string& figure,
                                    TextFormat format,
                                    MeanInterval interval = MeanInterval::bootstrap);

}  // namespace attnlab::analysis
