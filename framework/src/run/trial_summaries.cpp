// Reading what an output directory holds for each trial: its file's summary,
// checked in a child process, or its failure marker (results.hpp).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "../io/isolated_read.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/trial_file_paths.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_runner.hpp"

namespace attnlab {

namespace fs = std::filesystem;

bool is_divergence(const std::string& reason) {
  // Only the trainer's own message: a reason that merely mentions it (a failed
  // write beside a divergence, a path) is a fault, which may not recur.
  return reason.rfind(kDivergedMessage, 0) == 0;
}

bool diverged(const TrialSummary& trial) {
  return trial.status == TrialStatus::failed && is_divergence(trial.failure);
}

bool settled(const TrialSummary& trial) {
  return trial.status == TrialStatus::finished || diverged(trial);
}

std::string status_text(const TrialSummary& trial) {
  return diverged(trial) ? "diverged" : to_string(trial.status);
}

std::string failure_marker_reason(const OutputLayout& layout, const std::string& id) {
  std::ifstream in(layout.failure(id));
  std::ostringstream reason;
  reason << in.rdbuf();
  std::string text = reason.str();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string to_string(TrialStatus status) {
  switch (status) {
    case TrialStatus::finished:
      return "finished";
    case TrialStatus::failed:
      return "failed";
    case TrialStatus::pending:
      return "pending";
  }
  return "?";
}

namespace {

// A trial file that can be trusted: not newer than this build, sealed and
// undamaged (datasets too, if asked), and holding trial `id`'s configuration.
void check_trial_file(const Hdf5File& file, const std::string& id, bool datasets) {
  check_file(file, file_kinds::trial, datasets);
  if (id.empty()) return;
  const std::string stored = file.string_attribute("/", "trial_id");
  if (stored != id || config_hash(file.string_attribute("/", kConfigAttribute)) != id)
    throw IoError(fmt::format(
        "{}: holds trial {} (its configuration hashes to {}), not trial {}: copied or renamed",
        file.path(), stored, config_hash(file.string_attribute("/", kConfigAttribute)), id));
}

TrialSummary summary_of(const Hdf5File& file) {
  TrialSummary summary;
  summary.id = file.string_attribute("/", "trial_id");
  summary.index = file.int_attribute("/", "trial_index");
  summary.arm = file.string_attribute("/", "arm");
  summary.seed = static_cast<uint64_t>(file.int_attribute("/", "seed"));
  summary.status = file.string_attribute("/", "status") == "finished" ? TrialStatus::finished
                                                                      : TrialStatus::failed;
  summary.seconds = file.number_attribute("/", "wall_time_seconds");
  if (file.contains(trial_paths::axes))
    for (const std::string& key : file.attribute_names(trial_paths::axes))
      summary.axes.emplace_back(key, file.string_attribute(trial_paths::axes, key));
  for (const std::string& name : file.attribute_names(trial_paths::final))
    summary.metrics.emplace_back(name, file.number_attribute(trial_paths::final, name));
  // train_loss last: the accuracies are what a reader looks for first.
  std::stable_partition(summary.metrics.begin(), summary.metrics.end(),
                        [](const auto& m) { return m.first != kTrainLossFigure; });
  return summary;
}

// Summaries cross the pipe from the reading child as NUL-separated fields.
std::string encode(const TrialSummary& s) {
  std::string text;
  const auto field = [&](const std::string& value) { text += value + '\0'; };
  field(s.id);
  field(std::to_string(s.index));
  field(s.arm);
  field(std::to_string(s.seed));
  field(to_string(s.status));
  field(fmt::format("{:.17g}", s.seconds));
  field(std::to_string(s.axes.size()));
  for (const auto& [key, value] : s.axes) {
    field(key);
    field(value);
  }
  for (const auto& [name, value] : s.metrics) {
    field(name);
    field(fmt::format("{:.17g}", value));
  }
  return text;
}

TrialSummary decode(const std::string& text) {
  std::vector<std::string> fields;
  for (std::size_t start = 0, end; (end = text.find('\0', start)) != std::string::npos;
       start = end + 1)
    fields.push_back(text.substr(start, end - start));
  if (fields.size() < 7) throw IoError("a trial summary arrived incomplete from its reader");
  TrialSummary s;
  s.id = fields[0];
  s.index = std::stoll(fields[1]);
  s.arm = fields[2];
  s.seed = std::stoull(fields[3]);
  s.status = fields[4] == "finished" ? TrialStatus::finished : TrialStatus::failed;
  s.seconds = std::stod(fields[5]);
  const std::size_t axes_end = 7 + 2 * std::stoull(fields[6]);
  if (axes_end > fields.size() || (fields.size() - axes_end) % 2 != 0)
    throw IoError("a trial summary arrived incomplete from its reader");
  for (std::size_t i = 7; i < axes_end; i += 2) s.axes.emplace_back(fields[i], fields[i + 1]);
  for (std::size_t i = axes_end; i < fields.size(); i += 2)
    s.metrics.emplace_back(fields[i], std::stod(fields[i + 1]));
  return s;
}

// The summary of a trial file that passes every check, read in a child process
// (isolated_read.hpp) so that a damaged file can neither hang nor crash this one.
TrialSummary checked_summary(const fs::path& path, const std::string& id, bool datasets) {
  std::error_code unknown;
  const auto bytes = fs::file_size(path, unknown);
  const auto cpu_time = std::chrono::seconds(30 + (unknown ? 0 : bytes / (10 << 20)));
  return decode(read_isolated(
      [&] {
        if (fs::is_symlink(fs::symlink_status(path)))
          throw IoError(fmt::format(
              "{}: is a symbolic link; attnlab never writes one there (it would lead to "
              "another file)",
              path.string()));
        const Hdf5File file(path.string(), Hdf5File::Mode::read);
        check_trial_file(file, id, datasets);
        return encode(summary_of(file));
      },
      path.string(), cpu_time));
}

}  // namespace

TrialSummary read_trial_summary(const std::string& path, const std::string& id) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  check_trial_file(file, id, false);
  return summary_of(file);
}

// Whether anything stands at `path`, a dangling link included.
bool something_at(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

TrialFileState inspect_trial_file(const OutputLayout& layout, const std::string& id) {
  refuse_linked_folder(layout.trials());
  const fs::path file = layout.trial_file(id);
  if (!something_at(file)) return {};
  try {
    return {checked_summary(file, id, true).status == TrialStatus::finished
                ? TrialFileState::Kind::finished
                : TrialFileState::Kind::unfinished,
            ""};
  } catch (const DamagedFile& e) {  // only the file's own fault; other errors propagate
    return {TrialFileState::Kind::damaged, e.what()};
  }
}

std::string set_aside_damaged_file(const OutputLayout& layout, const std::string& id,
                                   const std::string& damage) {
  const fs::path file = layout.trial_file(id);
  const fs::path aside = layout.unreadable();
  const fs::path moved = aside / fmt::format("{}.h5.{}-{}", id, std::time(nullptr), ::getpid());
  std::error_code error;
  prepare_output_folder(aside);  // never a link: the file stays in the output directory
  fs::rename(file, moved, error);
  if (error && fs::exists(file))  // e.g. a full disk; gone already: another run set it aside
    throw IoError(fmt::format("{}: damaged ({}), and cannot be set aside: {}", file.string(),
                              damage, error.message()));
  return fmt::format("{} was moved to {}: {}", file.string(), moved.string(), damage);
}

std::vector<TrialSummary> collect_summaries(const Experiment& experiment,
                                            const OutputLayout& layout) {
  refuse_linked_folder(layout.trials());
  std::vector<TrialSummary> summaries;
  for (const Trial& trial : experiment.trials) {
    TrialSummary summary{.id = trial.id,
                         .index = trial.index,
                         .arm = trial.arm,
                         .seed = trial.seed,
                         .tuned = trial.tuned,
                         .status = TrialStatus::pending,
                         .seconds = 0.0,
                         .axes = {},
                         .metrics = {},
                         .failure = ""};
    if (something_at(layout.trial_file(trial.id))) {
      try {
        summary = checked_summary(layout.trial_file(trial.id), trial.id, false);
        summary.index = trial.index;
        summary.arm = trial.arm;  // the plan's label (the file's is the same unless renamed)
        summary.tuned = trial.tuned;
      } catch (const Error& e) {  // damaged, emptied by a power loss: never averaged
        summary.failure = e.what();
      }
    } else if (fs::exists(layout.failure(trial.id))) {
      summary.status = TrialStatus::failed;
      summary.failure = failure_marker_reason(layout, trial.id);
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

}  // namespace attnlab
