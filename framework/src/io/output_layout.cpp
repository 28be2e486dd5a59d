#include "attnlab/io/output_layout.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/training_state.hpp"

namespace attnlab {

namespace fs = std::filesystem;

fs::path OutputLayout::resume_point(const std::string& id) const {
  return resume_point_path(trial_file(id));  // named beside the trial file by run_trial
}

std::vector<std::pair<std::string, std::string>> OutputLayout::named_paths() {
  const OutputLayout at("");
  const std::string id = "<id>";
  const auto text = [](const fs::path& path) { return path.generic_string(); };
  return {{"plan", text(at.plan())},
          {"results_h5", text(at.results_h5())},
          {"results_csv", text(at.results_csv())},
          {"trials_csv", text(at.trials_csv())},
          {"results_md", text(at.results_md())},
          {"results_lock", text(at.results_lock())},
          {"trials", text(at.trials())},
          {"trial_file", text(at.trial_file(id))},
          {"trial_link_target", trial_link_target(id)},
          {"ticket", text(at.ticket(id))},
          {"log", text(at.log(id))},
          {"failure", text(at.failure(id))},
          {"holder", text(at.holder(id))},
          {"resume_point", text(at.resume_point(id))},
          {"unreadable", text(at.unreadable())},
          {"superseded", text(at.superseded())},
          {"slurm", text(at.slurm())},
          {"slurm_array_script", text(at.slurm_array_script())},
          {"slurm_merge_script", text(at.slurm_merge_script())},
          {"slurm_logs", text(at.slurm_logs())},
          {"slurm_jobs", text(at.slurm_jobs())},
          {"analysis", text(at.analysis())},
          {"head_metrics_h5", text(at.head_metrics_h5())},
          {"head_metrics_csv", text(at.head_metrics_csv())},
          {"head_ablation_h5", text(at.head_ablation_h5())},
          {"head_ablation_csv", text(at.head_ablation_csv())},
          {"head_pruning_csv", text(at.head_pruning_csv())},
          {"patching_csv", text(at.patching_csv())},
          {"plots", text(at.plots())},
          {"report", text(at.report())}};
}

std::vector<std::string> OutputLayout::top_level_files() {
  const OutputLayout at("");
  return {at.plan().string(), at.results_h5().string(), at.results_csv().string(),
          at.trials_csv().string(), at.results_md().string()};
}

std::vector<std::string> OutputLayout::top_level_folders() {
  const OutputLayout at("");
  return {at.trials().string(), at.superseded().string(), at.slurm().string(),
          at.analysis().string()};
}

void refuse_linked_folder(const fs::path& folder) {
  std::error_code error;
  if (fs::is_symlink(fs::symlink_status(folder, error)))
    throw IoError(fmt::format(
        "{}: is a symbolic link; attnlab reads and writes only real folders of the output "
        "directory (a link would lead outside it). Remove the link",
        folder.string()));
}

void prepare_output_folder(const fs::path& folder) {
  refuse_linked_folder(folder);
  std::error_code error;
  const fs::file_status status = fs::symlink_status(folder, error);
  if (fs::exists(status) && !fs::is_directory(status))
    throw IoError(fmt::format("{}: exists and is not a folder; attnlab writes its files there",
                              folder.string()));
  if (!fs::exists(status) && !fs::create_directories(folder, error) && error)
    throw IoError(
        fmt::format("{}: cannot create the folder: {}", folder.string(), error.message()));
  remove_abandoned_temporaries(folder);
}

void refuse_inside_a_run(const std::filesystem::path& path, const std::string& flag) {
  namespace fs = std::filesystem;
  // Links resolved (what exists of the path): a link into a run, or "link/..", is seen through.
  std::error_code error;
  fs::path resolved = fs::weakly_canonical(fs::absolute(path), error);
  if (error) resolved = fs::absolute(path).lexically_normal();
  for (fs::path at = resolved; !at.empty(); at = at.parent_path()) {
    if (fs::exists(OutputLayout(at).plan()))
      throw ConfigError(fmt::format(
          "{} {}: is inside the output directory of a run ({}), whose later runs would refuse "
          "what they did not write; write it outside that folder",
          flag, path.string(), at.string()));
    if (at == at.parent_path()) break;
  }
}

}  // namespace attnlab
