// A final figure's name, built and read in one place, with what a reader must
// know to compare it: which way is better, its unit and its range. Trial files store
// figures under these names (/final), results.h5 under arms/<name>/ with the
// attributes `better` and `unit`; analysis/attnlab_files/ reads them with the
// same rule (parse_figure). docs/hdf5-layout.md lists them.
//
//   train_loss, parameters          whole names
//   eval_<metric>                   at the training length
//   eval_<metric>@<length>          at another evaluated length (eval.lengths)
//   eval_<metric>[<setting>]        an eval.settings evaluation ("k=v,k2=v2")
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attnlab/train/trainer.hpp"

namespace attnlab {

/// The figures that are not evaluations: the last training batch's loss and the
/// model's parameter count.
inline constexpr const char* kTrainLossFigure = "train_loss";
inline constexpr const char* kParametersFigure = "parameters";

/// Which way a figure is better.
enum class Better { higher, lower, neither };
std::string_view to_string(Better better);

/// A figure's name taken apart.
struct FigureName {
  std::string metric;             // "accuracy" for eval_ figures; else the whole name
  bool evaluated = false;         // an eval_ figure
  std::optional<int64_t> length;  // another length than the training one
  std::string setting;            // an eval.settings evaluation, or ""
};

/// What a figure means for comparisons.
struct FigureMeaning {
  Better better = Better::neither;
  std::string_view unit;  // "nats", "fraction", "count"
  double low = 0.0;       // every value lies in [low, high]; high may be +infinity
  double high = std::numeric_limits<double>::infinity();
  bool contains(double value) const { return value >= low && value <= high; }
};

/// The name of an evaluated metric's final figure (final_figure_name's rule).
std::string figure_name(std::string_view metric, std::optional<int64_t> length = std::nullopt,
                        std::string_view setting = "");
/// The final figure of `metric` in `evaluation` of a trial trained at `trained_length`.
std::string final_figure_name(const Evaluation::Metric& metric, const Evaluation& evaluation,
                              int64_t trained_length);
/// Takes a figure's name apart; ConfigError for an eval_ name that is not well formed.
FigureName parse_figure_name(std::string_view name);
/// Where a final figure's curve lives in a trial file trained at `training_length`:
/// the steps and the values datasets (train_loss, or an eval_ figure).
/// ConfigError for a figure without a curve (parameters).
struct CurvePaths {
  std::string steps, values;
};
CurvePaths curve_paths(std::string_view name, int64_t training_length);

/// Which way `name` is better, its unit and its range, from the metric that declares it
/// (Evaluation::metrics(), train_loss, parameters); ConfigError for a name no
/// metric gives.
FigureMeaning figure_meaning(std::string_view name);

/// Every kind of figure with its meaning: the two whole names, then
/// "eval_<metric>" for each evaluated metric (what `attnlab layout` prints).
std::vector<std::pair<std::string, FigureMeaning>> figure_kinds();

}  // namespace attnlab
