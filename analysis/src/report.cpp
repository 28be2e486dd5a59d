#include "attnlab/analysis/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "attnlab/analysis/arm_comparison.hpp"
#include "attnlab/analysis/comparison_format.hpp"
#include "attnlab/analysis/head_ablation.hpp"
#include "attnlab/analysis/plot_tools.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/run/tuning.hpp"
#include "report_page.hpp"

namespace attnlab::analysis {
namespace {

constexpr int64_t kExplorerBudget = 3'000'000;  // weights the explorer keeps (about 15 MB)

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]) << 16 |
                                         static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                         static_cast<unsigned char>(bytes[i + 2]));
    for (int shift = 18; shift >= 0; shift -= 6) encoded += kAlphabet[(n >> shift) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i]) << 16);
    if (i + 1 < bytes.size())
      n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8);
    encoded += kAlphabet[(n >> 18) & 63];
    encoded += kAlphabet[(n >> 12) & 63];
    encoded += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    encoded += '=';
  }
  return encoded;
}

std::string image(const std::filesystem::path& png, const std::string& caption) {
  std::ifstream in(png, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot read the plot just drawn", png.string()));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return fmt::format(
      "<figure><img class=\"plot\" alt=\"{0}\" src=\"data:image/png;base64,{1}\">"
      "<figcaption>{0}</figcaption></figure>\n",
      html_escape(caption), base64(bytes.str()));
}

// What results.h5 says of how the results were made.
std::string provenance(const ExperimentResults& results) {
  const std::filesystem::path index = results.layout.results_h5();
  if (!std::filesystem::exists(index))
    throw ConfigError(fmt::format("{}: no results.h5; 'attnlab run' writes it when trials finish",
                                  results.layout.dir().string()));
  const Hdf5File file(index.string(), Hdf5File::Mode::read);
  check_file(file, file_kinds::experiment);  // its texts are shown as they are: sealed ones
  int64_t finished = 0, diverged_trials = 0, reported = 0;
  for (const TrialSummary& t : results.all_trials) {
    finished += t.status == TrialStatus::finished;
    diverged_trials += diverged(t);
  }
  for (const TrialSummary& t : results.trials) reported += t.status == TrialStatus::finished;
  std::string html = "<table>\n";
  const auto row = [&](const std::string& key, const std::string& value) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", key, html_escape(value));
  };
  row("experiment", results.plan.name);
  row("output directory", results.layout.dir().string());
  row("trials",
      fmt::format("{} finished{} of {} planned, {} arm{}{}", finished,
                  diverged_trials > 0 ? fmt::format(" and {} diverged", diverged_trials) : "",
                  results.all_trials.size(), results.plan.arms.size(),
                  results.plan.arms.size() == 1 ? "" : "s",
                  results.plan.tune
                      ? fmt::format("; {} of them reported, each arm at its selected {} (the "
                                    "tuning table below has every value)",
                                    reported, results.plan.tune->key)
                      : ""));
  namespace a = provenance_attributes;
  row("attnlab", file.string_attribute("/", a::version));
  row("git commit", file.string_attribute("/", a::commit) +
                        (file.int_attribute("/", a::dirty) ? " (with uncommitted changes)" : ""));
  html += "</table>\n";
  html += fmt::format("<h3>the experiment file as given</h3><pre>{}</pre>\n",
                      html_escape(file.string_attribute("/", "experiment_yaml")));
  html += fmt::format(
      "<details><summary>resolved, every default filled in</summary><pre>{}</pre></details>\n",
      html_escape(file.string_attribute("/", "experiment_resolved_yaml")));
  return html;
}

std::string comparison(const ExperimentResults& results) {
  const std::vector<std::string> figures = results.figures();
  if (figures.empty()) return "<p>No trial has finished.</p>\n";
  const std::string figure =
      std::find(figures.begin(), figures.end(), "eval_accuracy") != figures.end() ? "eval_accuracy"
                                                                                  : figures.front();
  std::string html;
  if (results.plan.arms.size() > 1)
    html += format_comparison(compare_arms(results, figure, results.plan.arms.front()),
                              TextFormat::html);
  else
    html += "<p>One arm: nothing to compare.</p>\n";
  const FigureByLength lengths = figure_by_length(results, figure);
  html += format_figure_by_length(lengths, figure, TextFormat::html);
  html += fmt::format(
      "<p>Other figures, arms and baselines: <code>attnlab compare {} --metric "
      "NAME --baseline KEY=VALUE</code>; figures: {}.</p>\n",
      html_escape(results.layout.dir().string()),
      html_escape(fmt::format("{}", fmt::join(figures, ", "))));
  return html;
}

std::string plots(const ExperimentResults& results, bool has_lengths, bool ablated) {
  const std::string dir = results.layout.dir().string();
  prepare_output_folder(results.layout.analysis());
  prepare_output_folder(results.layout.plots());
  const std::string out = results.layout.plots().string();
  std::string html;
  const auto draw = [&](const std::string& tool, std::vector<std::string> arguments,
                        const std::string& caption) {
    arguments.insert(arguments.begin(), dir);
    for (const auto& png : run_plot_tool(tool, arguments))
      html += image(png, fmt::format("{} ({})", caption, png.filename().string()));
  };
  draw("comparison_bars", {"--out", out + "/bars_eval_accuracy.png"},
       "eval_accuracy per arm: mean, 95% interval, every seed");
  draw("learning_curves", {"--out", out + "/curves_accuracy.png"},
       "evaluation accuracy during training: mean over seeds, band from lowest to highest seed");
  if (has_lengths)
    draw("length_curves", {"--out", out + "/lengths_eval_accuracy.png"},
         "accuracy at every evaluated length");
  std::vector<std::string> heads{"--out", out};
  if (!ablated) heads.push_back("--no-importance");  // an older ablation is not this report's
  draw("head_heatmaps", heads, "heads by layer: detectors (and importance if ablated)");
  draw("attention_heatmaps", {"--out", out}, "attention of the plan's first trial, example 0");
  return html;
}

}  // namespace

ReportWritten write_report(const ExperimentResults& results, const ReportOptions& options) {
  const std::string overview = provenance(results);
  std::vector<TrialHeadMetrics> measured;
  std::vector<TrialAblation> ablated;
  ReportWritten written;
  for (const TrialSummary& trial : results.trials) {
    const std::string which =
        fmt::format("trial {} ({}, seed {})", trial.id, trial.arm, trial.seed);
    if (trial.status != TrialStatus::finished) {
      written.left_out.push_back(fmt::format(
          "{}: {}", which, trial.failure.empty() ? "it has not run yet" : trial.failure));
      continue;
    }
    try {
      TrainedTrial trained(results.layout.trial_file(trial.id));
      measured.push_back(measure_heads(trained, options.examples, false));
      if (options.ablate) ablated.push_back(ablate_heads(trained, options.examples));
    } catch (const IoError& e) {  // damage the summary check cannot see
      written.left_out.push_back(fmt::format("{}: {}", which, e.what()));
    } catch (const Error& e) {
      throw Error(
          fmt::format("trial {} ({}, seed {}): {}", trial.id, trial.arm, trial.seed, e.what()));
    }
  }
  if (measured.empty())
    throw ConfigError(
        fmt::format("{}: no trial has finished; nothing to report", results.layout.dir().string()));
  write_head_metrics(results, measured);
  if (options.ablate) write_head_ablation(results, ablated);
  const bool has_lengths = figure_by_length(results, "eval_accuracy").lengths.size() > 1;

  // '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the
  // same; written so, no label can end or confuse the script element it sits in.
  std::string json;
  for (const char c : explorer_data(results, measured, kExplorerBudget))
    json += c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : c == '&' ? "\\u0026" : std::string(1, c);

  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>attnlab report: "
      "{0}</title>\n<style>{1}</style></head><body>\n<h1>attnlab report: {0}</h1>\n",
      html_escape(results.plan.name), kReportStyle);
  html += "<h2>What ran</h2>\n" + overview;
  if (!written.left_out.empty()) {
    html += "<p>Left out (every figure below is without them):</p><ul class=\"notes\">";
    for (const std::string& line : written.left_out)
      html += fmt::format("<li>{}</li>", html_escape(line));
    html += "</ul>\n";
  }
  html += "<h2>Arms compared over seeds</h2>\n" + comparison(results);
  if (results.plan.tune)  // the table results.md has, as text
    html += fmt::format("<h3>Tuning: every arm at every value</h3>\n<pre>{}</pre>\n",
                        html_escape(tuning_table(results.plan, results.all_trials)));
  html += "<h2>Heads</h2>\n" + format_head_summary(results, measured, TextFormat::html);
  if (options.ablate) html += format_ablation_summary(results, ablated, TextFormat::html);
  html += "<h2>Plots</h2>\n" + plots(results, has_lengths, options.ablate);
  html += R"(<h2>Attention explorer</h2>
<div id="explorer">
<p>Choose an arm, a trial, a layer and an example; hover a token to see where every head of
that layer attends from it (darker = more weight), heads side by side. The same seed and example
is the same input in every arm, so switching arms compares them on one input.</p>
<label>arm <select id="ex-arm"></select></label><label>trial <select id="ex-trial"></select></label>
<label>layer <select id="ex-module"></select></label><label>example <select id="ex-example"></select></label>
<p id="ex-note"></p><p>queries (hover one): <span id="ex-query"></span></p>
<div id="ex-tokens" class="tokens"></div>
<div id="ex-heads" class="heads"></div>
</div>
)";
  html += "<script type=\"application/json\" id=\"explorer-data\">" + json + "</script>\n";
  html += fmt::format("<script>{}</script>\n</body></html>\n", kExplorerScript);

  if (options.out.empty()) prepare_output_folder(results.layout.analysis());
  const std::filesystem::path out = options.out.empty() ? results.layout.report() : options.out;
  std::filesystem::create_directories(std::filesystem::absolute(out).parent_path());
  write_file_atomically(out, html);
  written.path = out;
  return written;
}

}  // namespace attnlab::analysis
