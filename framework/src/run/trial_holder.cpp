#include "attnlab/run/trial_holder.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"

namespace attnlab {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string this_job() {
  const std::string array = environment("SLURM_ARRAY_JOB_ID");
  const std::string task = environment("SLURM_ARRAY_TASK_ID");
  std::string job = !array.empty() && !task.empty() ? fmt::format("SLURM job {}_{}", array, task)
                    : !environment("SLURM_JOB_ID").empty()
                        ? "SLURM job " + environment("SLURM_JOB_ID")
                        : "";
  for (const char* rank : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (!environment(rank).empty()) {
      job += (job.empty() ? "" : ", ") + fmt::format("MPI rank {}", environment(rank));
      break;
    }
  return job;
}

std::string field(const ConfigNode& node, const char* key) {
  const ConfigNode* value = node.find(key);
  return value != nullptr && value->is_scalar() ? value->text() : "";
}

int64_t number(const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  return end != text.c_str() && *end == '\0' ? value : 0;
}

}  // namespace

TrialHolder this_process_as_holder() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return {host, static_cast<int64_t>(getpid()), this_job(),
          static_cast<int64_t>(std::time(nullptr))};
}

std::string holder_yaml(const TrialHolder& holder) {
  ConfigNode node = ConfigNode::map();
  node.set("host", ConfigNode::scalar(holder.host));
  node.set("pid", ConfigNode::scalar(std::to_string(holder.pid)));
  node.set("job", ConfigNode::scalar(holder.job));
  node.set("since", ConfigNode::scalar(std::to_string(holder.since)));
  return to_yaml(node);
}

std::optional<TrialHolder> read_holder(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  try {
    const ConfigNode node = load_yaml_file(path.string(), kWrittenYamlBounds);
    if (!node.is_map()) return std::nullopt;
    return TrialHolder{field(node, "host"), number(field(node, "pid")), field(node, "job"),
                       number(field(node, "since"))};
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string describe_holder(const TrialHolder& holder, int64_t now) {
  const int64_t seconds = std::max<int64_t>(0, now - holder.since);
  const std::string age = seconds < 120 ? fmt::format("{} s", seconds)
                          : seconds < 7200
                              ? fmt::format("{} min", seconds / 60)
                              : fmt::format("{:.1f} h", static_cast<double>(seconds) / 3600.0);
  return fmt::format("host {}, pid {}{}, since {:%Y-%m-%d %H:%M:%S} UTC ({})", holder.host,
                     holder.pid, holder.job.empty() ? "" : ", " + holder.job,
                     fmt::gmtime(static_cast<std::time_t>(holder.since)), age);
}

}  // namespace attnlab
