#include "attnlab/threads.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include "attnlab/error.hpp"
#include "tensor/thread_pool.hpp"

namespace attnlab {
namespace {

// ceil(quota / period) of the cgroup v2 cpu.max of this process, or 0 if unlimited.
int cgroup_cpu_limit() {
  std::ifstream cgroup("/proc/self/cgroup");
  for (std::string line; std::getline(cgroup, line);) {
    if (line.rfind("0::", 0) != 0) continue;
    std::ifstream limit("/sys/fs/cgroup" + line.substr(3) + "/cpu.max");
    std::string quota;
    double period = 0;
    if (limit >> quota >> period && quota != "max" && period > 0)
      return std::max(1, static_cast<int>(std::ceil(std::stod(quota) / period)));
  }
  return 0;
}

int positive_environment_integer(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr) return 0;
  char* end = nullptr;
  const long count = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && count > 0 && count < 1 << 20 ? static_cast<int>(count) : 0;
}

// The CPUs a SLURM job has on this node (0 outside one): a site that does not
// bind jobs to their CPUs (task/none) leaves the whole node in the affinity
// mask, yet the job was given only these. SLURM_CPUS_ON_NODE counts all the
// job's tasks here (a batch script of `sbatch -n 2` may use both CPUs);
// SLURM_CPUS_PER_TASK is the fallback of older versions.
int slurm_cpu_allocation() {
  if (std::getenv("SLURM_JOB_ID") == nullptr) return 0;
  const int on_node = positive_environment_integer("SLURM_CPUS_ON_NODE");
  return on_node > 0 ? on_node : positive_environment_integer("SLURM_CPUS_PER_TASK");
}

}  // namespace

void set_thread_count(int threads) {
  if (threads < 1) throw ConfigError(fmt::format("thread count must be >= 1, got {}", threads));
  detail::set_pool_threads(threads);
}

int thread_count() {
  return detail::pool_threads();
}

int available_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  int cpus = sched_getaffinity(0, sizeof mask, &mask) == 0 ? CPU_COUNT(&mask) : 1;
  if (const int quota = cgroup_cpu_limit(); quota > 0) cpus = std::min(cpus, quota);
  if (const int allocated = slurm_cpu_allocation(); allocated > 0) cpus = std::min(cpus, allocated);
  return std::max(1, cpus);
}

}  // namespace attnlab
