// Where things live inside a trial file, declared once (docs/hdf5-layout.md
// draws the whole file). `attnlab layout --json` prints these, and
// analysis/attnlab_files/ mirrors them (a test keeps the two equal). A
// figure's curve is found from its name by curve_paths (run/figures.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnlab::trial_paths {

inline constexpr const char* axes = "axes";    // attributes: the arm's ablation values
inline constexpr const char* final = "final";  // attributes: the final figures
inline constexpr const char* parameters = "parameters";
inline constexpr const char* train = "metrics/train";  // step, loss, lr, grad_norm
inline constexpr const char* train_steps = "metrics/train/step";
inline constexpr const char* evaluation = "metrics/eval";
inline constexpr const char* evaluation_steps = "metrics/eval/step";
/// Attribute of `evaluation`: the length whose figures carry no @L.
inline constexpr const char* training_length = "training_length";
inline constexpr const char* inputs = "activations/inputs";  // source, target_input, targets
inline constexpr const char* activations = "activations";
/// Attribute of every recorded dataset: its dimension names, one per axis.
inline constexpr const char* dimensions = "dims";

/// One evaluation's group: "metrics/eval/length_<L>", or for an eval.settings
/// evaluation "metrics/eval/settings/<setting>/length_<L>".
std::string evaluation_group(std::string_view setting, int64_t length);
/// A recording step's group: "activations/step_<NNNNNN>".
std::string snapshot_group(int64_t step);
/// The parameters at a record.every step (record.parameters):
/// "parameter_snapshots/step_<NNNNNN>".
std::string parameter_snapshot_group(int64_t step);
/// The step of a snapshot group's name ("step_000600" -> 600), or -1.
int64_t snapshot_step(std::string_view group_name);

/// Every path above by name, with <L>, <setting> and <NNNNNN> for the parts
/// that vary (what `attnlab layout` prints).
std::vector<std::pair<std::string, std::string>> named();

}  // namespace attnlab::trial_paths
