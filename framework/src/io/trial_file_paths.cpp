#include "attnlab/io/trial_file_paths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace attnlab::trial_paths {
namespace {

constexpr std::string_view kSnapshotPrefix = "step_";

// The one spelling of each varying path, for real values and for placeholders.
std::string evaluation_group_text(std::string_view setting, std::string_view length) {
  return setting.empty() ? fmt::format("{}/length_{}", evaluation, length)
                         : fmt::format("{}/settings/{}/length_{}", evaluation, setting, length);
}

constexpr std::string_view kParameterSnapshots = "parameter_snapshots";

std::string snapshot_text(std::string_view step) {
  return fmt::format("{}/{}{}", activations, kSnapshotPrefix, step);
}

std::string parameter_snapshot_text(std::string_view step) {
  return fmt::format("{}/{}{}", kParameterSnapshots, kSnapshotPrefix, step);
}

}  // namespace

std::string evaluation_group(std::string_view setting, int64_t length) {
  return evaluation_group_text(setting, std::to_string(length));
}

std::string snapshot_group(int64_t step) {
  return snapshot_text(fmt::format("{:06d}", step));
}

std::string parameter_snapshot_group(int64_t step) {
  return parameter_snapshot_text(fmt::format("{:06d}", step));
}

int64_t snapshot_step(std::string_view group_name) {
  if (group_name.substr(0, kSnapshotPrefix.size()) != kSnapshotPrefix) return -1;
  const std::string_view digits = group_name.substr(kSnapshotPrefix.size());
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  return std::stoll(std::string(digits));
}

std::vector<std::pair<std::string, std::string>> named() {
  return {{"axes", axes},
          {"final", final},
          {"parameters", parameters},
          {"train", train},
          {"train_steps", train_steps},
          {"evaluation", evaluation},
          {"evaluation_steps", evaluation_steps},
          {"training_length", training_length},
          {"evaluation_group", evaluation_group_text("", "<L>")},
          {"setting_group", evaluation_group_text("<setting>", "<L>")},
          {"inputs", inputs},
          {"snapshot", snapshot_text("<NNNNNN>")},
          {"parameter_snapshot", parameter_snapshot_text("<NNNNNN>")}};
}

}  // namespace attnlab::trial_paths
