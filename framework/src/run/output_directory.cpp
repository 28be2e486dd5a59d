#include "attnlab/run/output_directory.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/run/plan_file.hpp"

namespace fs = std::filesystem;

namespace attnlab {
namespace {

constexpr const char* kRunLockName = ".run.lock";        // shared by every run of the plan
constexpr const char* kPlanLockName = ".plan.lock";      // held while the plan is settled
constexpr const char* kClaimsLockName = ".claims.lock";  // one byte per trial being run

// Moves what belongs to another plan out of the way (never deletes).
void supersede(const OutputLayout& layout, const Experiment& experiment) {
  std::set<std::string> ids;
  for (const Trial& trial : experiment.trials) ids.insert(trial.id);
  const fs::path aside =
      layout.superseded() /
      fmt::format("{}", std::chrono::system_clock::now().time_since_epoch().count());
  const fs::path trials_aside = aside / layout.trials().filename();  // the same layout there
  fs::create_directories(trials_aside);
  for (const auto& entry : fs::directory_iterator(layout.trials())) {
    const std::string name = entry.path().filename().string();
    if (!ids.count(name.substr(0, name.find('.')))) fs::rename(entry.path(), trials_aside / name);
  }
  std::vector<std::string> names = OutputLayout::top_level_files();
  names.push_back(layout.analysis().filename().string());
  names.push_back(layout.slurm().filename().string());
  for (const std::string& name : names)
    if (fs::exists(layout.dir() / name)) fs::rename(layout.dir() / name, aside / name);
}

bool is_lock_name(const std::string& name) {
  for (const char* lock : {kRunLockName, kClaimsLockName, kPlanLockName})
    if (name == lock) return true;
  return name == OutputLayout("").results_lock().string();
}

// What attnlab writes at the top of an output directory (temporaries aside).
bool written_by_attnlab(const std::string& name) {
  const auto listed = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  return listed(OutputLayout::top_level_files()) || listed(OutputLayout::top_level_folders()) ||
         is_lock_name(name) || is_temporary_name(name);
}

// What in a directory attnlab did not write: names it never uses, its names on
// something of another kind (a link where a lock or trials/ belongs), a
// plan.yaml that is not a plan, or results with no plan beside them.
std::vector<std::string> foreign_entries(const fs::path& dir) {
  std::vector<std::string> foreign;
  bool has_plan = false, has_results = false;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const fs::file_status status = entry.symlink_status();
    const bool is_lock = is_lock_name(name);
    const std::vector<std::string> folders = OutputLayout::top_level_folders();
    const bool is_folder = std::find(folders.begin(), folders.end(), name) != folders.end();
    if (!written_by_attnlab(name)) {
      foreign.push_back(name);
    } else if (fs::is_symlink(status) || (is_folder && !fs::is_directory(status)) ||
               (!is_folder && !fs::is_regular_file(status))) {  // attnlab's name, not its kind
      foreign.push_back(fmt::format("{} (a {}, where attnlab writes a {})", name,
                                    fs::is_symlink(status)     ? "symbolic link"
                                    : fs::is_directory(status) ? "folder"
                                                               : "file of another kind",
                                    is_folder ? "folder" : "regular file"));
    } else if (name == OutputLayout(dir).plan().filename()) {
      has_plan = is_plan_file(entry.path().string());
      if (!has_plan) foreign.push_back("plan.yaml (not an attnlab plan)");
    } else if (!is_lock && !is_temporary_name(name) &&
               !(entry.path() == OutputLayout(dir).trials() && fs::is_empty(entry.path()))) {
      has_results = true;
    }
  }
  if (foreign.empty() && has_results && !has_plan) foreign.push_back("results without a plan.yaml");
  return foreign;
}

// A directory attnlab may write into: new, empty, or one it wrote, never a
// folder of the user's that happens to exist.
void refuse_foreign_directory(const OutputLayout& layout) {
  const fs::path& dir = layout.dir();
  if (!fs::exists(dir)) return;
  if (!fs::is_directory(dir))
    throw ConfigError(
        fmt::format("{}: the output directory exists and is not a folder", dir.string()));
  std::vector<std::string> foreign = foreign_entries(dir);
  if (foreign.empty()) return;
  if (foreign.size() > 3) foreign.resize(3), foreign.push_back("...");
  throw ConfigError(fmt::format(
      "{}: holds files attnlab did not write ({}); an output directory must be new, empty, or "
      "one attnlab wrote. Choose another with -o output=DIR or output: in the experiment file",
      dir.string(), fmt::join(foreign, ", ")));
}

int open_lock_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw IoError(
        fmt::format("{}: cannot open the lock file: {}", path.string(), std::strerror(errno)));
  return fd;
}

std::string locks_needed(const fs::path& path) {
  return fmt::format(
      "runs of one plan share {} through file locks, so its filesystem must provide them "
      "(docs/cluster.md: NFSv4, Lustre and GPFS do; NFS mounted with 'nolock' does not)",
      path.parent_path().string());
}

void lock(int fd, int operation, const fs::path& path) {
  while (::flock(fd, operation) != 0)
    if (errno != EINTR)
      throw IoError(fmt::format("{}: cannot lock: {}; {}", path.string(), std::strerror(errno),
                                locks_needed(path)));
}

// .plan.lock held exclusively for a scope: the plan is settled, or checked,
// by one process at a time.
struct PlanLock {
  explicit PlanLock(const OutputLayout& layout)
      : path(layout.dir() / kPlanLockName), fd(open_lock_file(path)) {
    try {
      lock(fd, LOCK_EX, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  ~PlanLock() { ::close(fd); }
  PlanLock(const PlanLock&) = delete;
  PlanLock& operator=(const PlanLock&) = delete;
  const fs::path path;
  const int fd;
};

// An fcntl lock on byte `at`: F_WRLCK, F_UNLCK, or F_OFD_GETLK's answer.
bool set_byte_lock(int fd, int64_t at, short type) {
  struct flock range {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = at;
  range.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &range) == 0;
}

bool byte_locked_elsewhere(int fd, int64_t at) {
  struct flock range {};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = at;
  range.l_len = 1;
  return ::fcntl(fd, F_OFD_GETLK, &range) == 0 && range.l_type != F_UNLCK;
}

// A byte no trial's claim uses (plans hold at most kMaxTrials trials).
constexpr int64_t kProbeByte = int64_t{1} << 40;

// Some filesystems accept lock calls and enforce nothing (a FUSE mount, NFS
// with local-only locks seen from one client): two runs would then run the
// same trials and race on the index. Each lock must exclude a second holder.
// Called while this process holds `path` exclusively (flock).
void refuse_broken_locks(const fs::path& path, int claims_fd) {
  const int other = open_lock_file(path);
  const bool flock_excludes = ::flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(other);
  const bool claims_lock = set_byte_lock(claims_fd, kProbeByte, F_WRLCK);
  const int error = errno;
  const int second = claims_lock ? open_lock_file(path.parent_path() / kClaimsLockName) : -1;
  const bool claims_exclude = claims_lock && byte_locked_elsewhere(second, kProbeByte);
  if (second >= 0) ::close(second);
  if (claims_lock) set_byte_lock(claims_fd, kProbeByte, F_UNLCK);
  if (!flock_excludes || !claims_exclude)
    throw IoError(fmt::format(
        "{}: file locks do not work there ({}); {}", path.parent_path().string(),
        !flock_excludes ? "a second flock of a locked file succeeded"
        : !claims_lock  ? fmt::format("fcntl(F_OFD_SETLK) failed: {}", std::strerror(error))
                        : "a byte locked with fcntl(F_OFD_SETLK) shows as free to another holder",
        locks_needed(path)));
}

std::string plan_fingerprint_in(const OutputLayout& layout) {
  if (!fs::exists(layout.plan())) return "";
  const ConfigNode plan = load_yaml_file(layout.plan().string(), kWrittenYamlBounds);
  const ConfigNode* found = plan.find("fingerprint");
  return found != nullptr && found->is_scalar() ? found->text() : "";
}

// Checks the directory and writes the plan; `alone`: no other run works in it.
void settle_plan(const Experiment& experiment, const OutputLayout& layout, bool force, bool alone) {
  const std::string found = plan_fingerprint_in(layout);
  if (found.empty() || found == plan_fingerprint(experiment)) {
    if (alone) write_file_atomically(layout.plan(), plan_yaml(experiment));
    return;
  }
  if (!alone)
    throw ConfigError(fmt::format(
        "{}: another attnlab run is working there on another plan; results of different "
        "configurations are never mixed. Wait for it to finish, or choose another directory "
        "(-o output=...)",
        layout.dir().string()));
  if (!force) {
    const ConfigNode old = load_yaml_file(layout.plan().string(), kWrittenYamlBounds);
    throw ConfigError(fmt::format(
        "{} holds the results of another plan of experiment '{}' (the configuration, arms "
        "or seeds changed); results of different configurations are never mixed. Choose "
        "another directory (-o output=...), or pass --force to move the trials not in this "
        "plan to {}/superseded/",
        layout.dir().string(), old.find("experiment") ? old.find("experiment")->text() : "?",
        layout.dir().string()));
  }
  supersede(layout, experiment);
  write_file_atomically(layout.plan(), plan_yaml(experiment));
}

}  // namespace

RunLock::~RunLock() {
  ::close(claims_fd_);
  ::close(run_fd_);
}

// Open-file-description locks on one byte per trial: not inherited by workers
// past exec (the descriptor is close-on-exec), released if this process dies.
bool RunLock::lock_byte(int64_t index, short type) {
  return set_byte_lock(claims_fd_, index, type);
}

ClaimsProbe::ClaimsProbe(const OutputLayout& layout)
    : fd_(::open((layout.dir() / kClaimsLockName).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) {}

ClaimsProbe::~ClaimsProbe() {
  if (fd_ >= 0) ::close(fd_);
}

bool ClaimsProbe::held(int64_t index) const {
  return fd_ >= 0 && byte_locked_elsewhere(fd_, index);
}

bool RunLock::claim(int64_t index) {
  return lock_byte(index, F_WRLCK);
}

void RunLock::release(int64_t index) {
  lock_byte(index, F_UNLCK);
}

std::unique_ptr<RunLock> prepare_output_directory(const Experiment& experiment,
                                                  const OutputLayout& layout, bool force) {
  refuse_foreign_directory(layout);
  fs::create_directories(layout.trials());
  // Whoever holds the plan lock may test whether other runs hold the run lock:
  // taking it exclusively succeeds only when none do, and is at once turned into
  // the shared hold every run keeps until it ends.
  const PlanLock plan_lock(layout);
  const int claims = open_lock_file(layout.dir() / kClaimsLockName);
  try {
    refuse_broken_locks(plan_lock.path, claims);
  } catch (...) {
    ::close(claims);
    throw;
  }
  const fs::path run_lock_path = layout.dir() / kRunLockName;
  const int run_lock = open_lock_file(run_lock_path);
  const bool alone = ::flock(run_lock, LOCK_EX | LOCK_NB) == 0;
  auto held = std::make_unique<RunLock>(run_lock, claims, !alone);
  lock(run_lock, LOCK_SH, run_lock_path);
  if (alone) {  // temporaries of this host's dead processes; a live run's are its own
    remove_abandoned_temporaries(layout.trials());
    remove_abandoned_temporaries(layout.dir());
  }
  settle_plan(experiment, layout, force, alone);
  return held;
}

std::unique_ptr<RunLock> hold_output_directory(const Experiment& experiment,
                                               const OutputLayout& layout) {
  const PlanLock plan_lock(layout);  // nobody settles a plan meanwhile
  if (plan_fingerprint_in(layout) != plan_fingerprint(experiment))
    throw ConfigError(fmt::format(
        "{}: its plan changed while it was being read (another plan was given the directory, "
        "e.g. with --force); nothing was merged",
        layout.dir().string()));
  const fs::path run_lock_path = layout.dir() / kRunLockName;
  const int run_lock = open_lock_file(run_lock_path);
  auto held =
      std::make_unique<RunLock>(run_lock, open_lock_file(layout.dir() / kClaimsLockName), true);
  lock(run_lock, LOCK_SH, run_lock_path);
  return held;
}

}  // namespace attnlab
