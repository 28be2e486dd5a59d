// An experiment's output directory: every path attnlab writes or reads there,
// declared once. analysis/attnlab_files/ mirrors these names (a test keeps
// the two equal, through `attnlab layout --json`). Layout: docs/hdf5-layout.md,
// docs/analysis.md.
//
//   OUTPUT_DIR/plan.yaml            the plan: trials, ids, fingerprint
//   OUTPUT_DIR/results.{h5,csv,md}  the experiment's index and tables; trials.csv
//   OUTPUT_DIR/trials/<id>.h5       a finished trial (.yaml its ticket, .log, .failed,
//                                   .running: who runs it now, .resume: where it goes on)
//   OUTPUT_DIR/trials/unreadable/   damaged trial files set aside
//   OUTPUT_DIR/superseded/<time>/   what another plan left, moved aside by --force
//   OUTPUT_DIR/slurm/               job scripts `attnlab slurm` wrote, their logs, job ids
//   OUTPUT_DIR/analysis/            head_metrics.h5, head_ablation.h5, CSVs, plots/, report.html
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

class OutputLayout {
 public:
  explicit OutputLayout(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  std::filesystem::path plan() const { return dir_ / "plan.yaml"; }
  std::filesystem::path results_h5() const { return dir_ / "results.h5"; }
  std::filesystem::path results_csv() const { return dir_ / "results.csv"; }
  std::filesystem::path trials_csv() const { return dir_ / "trials.csv"; }
  std::filesystem::path results_md() const { return dir_ / "results.md"; }
  /// Held while results are collected and written.
  std::filesystem::path results_lock() const { return dir_ / ".results.lock"; }

  std::filesystem::path trials() const { return dir_ / "trials"; }
  std::filesystem::path trial_file(const std::string& id) const { return trials() / (id + ".h5"); }
  /// How results.h5 links to a trial's file (relative, so the folder can move).
  static std::string trial_link_target(const std::string& id) { return "trials/" + id + ".h5"; }
  std::filesystem::path ticket(const std::string& id) const { return trials() / (id + ".yaml"); }
  std::filesystem::path log(const std::string& id) const { return trials() / (id + ".log"); }
  /// Written when a trial fails: its reason (removed when it is run again).
  std::filesystem::path failure(const std::string& id) const { return trials() / (id + ".failed"); }
  /// The trial's checkpoint to resume from (train.checkpoint_every; removed when it finishes).
  std::filesystem::path resume_point(const std::string& id) const;
  /// Who runs the trial now (host, process, job, since when); removed when it ends.
  std::filesystem::path holder(const std::string& id) const { return trials() / (id + ".running"); }
  /// Where damaged trial files are set aside.
  std::filesystem::path unreadable() const { return trials() / "unreadable"; }
  std::filesystem::path superseded() const { return dir_ / "superseded"; }

  /// What `attnlab slurm` writes: the job-array script, the merge job's script,
  /// the folder of their logs, and the ids of the jobs it submitted.
  std::filesystem::path slurm() const { return dir_ / "slurm"; }
  std::filesystem::path slurm_array_script() const { return slurm() / "array.sbatch"; }
  std::filesystem::path slurm_merge_script() const { return slurm() / "merge.sbatch"; }
  std::filesystem::path slurm_logs() const { return slurm() / "logs"; }
  std::filesystem::path slurm_jobs() const { return slurm() / "jobs.txt"; }

  /// What the analysis commands write.
  std::filesystem::path analysis() const { return dir_ / "analysis"; }
  std::filesystem::path head_metrics_h5() const { return analysis() / "head_metrics.h5"; }
  std::filesystem::path head_metrics_csv() const { return analysis() / "head_metrics.csv"; }
  std::filesystem::path head_ablation_h5() const { return analysis() / "head_ablation.h5"; }
  std::filesystem::path head_ablation_csv() const { return analysis() / "head_ablation.csv"; }
  std::filesystem::path head_pruning_csv() const { return analysis() / "head_pruning.csv"; }
  std::filesystem::path patching_csv() const { return analysis() / "patching.csv"; }
  std::filesystem::path plots() const { return analysis() / "plots"; }
  std::filesystem::path report() const { return analysis() / "report.html"; }

  /// Names of the files and of the folders attnlab writes at the top of an
  /// output directory (locks and temporaries aside), from the paths above.
  static std::vector<std::string> top_level_files();
  static std::vector<std::string> top_level_folders();
  /// Every path above by name, relative to the output directory (what
  /// `attnlab layout` prints, and the Python twin is tested against).
  static std::vector<std::pair<std::string, std::string>> named_paths();

 private:
  std::filesystem::path dir_;
};

/// Throws IoError if `folder` is a symbolic link: attnlab reads and writes only
/// real folders of an output directory (a link would lead outside it).
void refuse_linked_folder(const std::filesystem::path& folder);

/// Makes `folder` (and missing parents) a real folder attnlab may write into:
/// throws IoError if it, or what stands at its name, is a symbolic link or not
/// a folder (a planted link would send writes elsewhere). Then removes the
/// temporaries that dead processes of this host left there.
void prepare_output_folder(const std::filesystem::path& folder);

/// Throws ConfigError, naming `flag`, when `path` lies inside the output
/// directory of a run (a folder with a plan.yaml): a run's files are its
/// alone, and its later runs refuse what they did not write.
void refuse_inside_a_run(const std::filesystem::path& path, const std::string& flag);

}  // namespace attnlab
