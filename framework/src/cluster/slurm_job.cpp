#include "attnlab/cluster/slurm_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// The #SBATCH lines both jobs share: how long, where they run, who pays, and
// the site's own (a QOS, mail when they end).
std::string shared_lines(const SlurmRequest& request) {
  std::string lines;
  if (!request.time.empty()) lines += fmt::format("#SBATCH --time={}\n", request.time);
  if (!request.partition.empty())
    lines += fmt::format("#SBATCH --partition={}\n", request.partition);
  if (!request.account.empty()) lines += fmt::format("#SBATCH --account={}\n", request.account);
  for (const std::string& argument : request.sbatch_args)
    lines += fmt::format("#SBATCH {}\n", argument);
  return lines;
}

// sbatch's long options attnlab sets itself, and their one-letter forms.
constexpr std::pair<const char*, const char*> kOwnedOptions[] = {
    {"--array", "-a"}, {"--output", "-o"}, {"--dependency", "-d"}, {"--job-name", "-J"}};

// Whether `argument` sets one of them: "--array=1-3", "--arr=1", "-a1".
const char* owned_option(const std::string& argument) {
  const std::string name = argument.substr(0, argument.find('='));
  for (const auto& [long_form, short_form] : kOwnedOptions) {
    if (name.rfind("--", 0) == 0 && name.size() > 2 && std::string(long_form).rfind(name, 0) == 0)
      return long_form;  // sbatch takes any unambiguous abbreviation
    if (name.rfind("--", 0) != 0 && argument.rfind(short_form, 0) == 0) return long_form;
  }
  return nullptr;
}

std::string quoted(const std::string& text) {  // for the shell, in single quotes
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

ArrayPacking pack_trials(int64_t trials, int64_t trials_per_task, int64_t array_size,
                         int64_t max_array_size, int64_t trials_at_once) {
  if (trials < 1) throw ConfigError("the plan has no trials to run");
  if (trials_per_task < 0 || array_size < 0)
    throw ConfigError("--trials-per-task and --array-size must be positive");
  if (trials_per_task > 0 && array_size > 0)
    throw ConfigError("give --trials-per-task or --array-size, not both: each sets the other");
  if (max_array_size < 2)
    throw ConfigError(fmt::format("MaxArraySize {} allows no array task 1", max_array_size));
  const int64_t most_tasks = max_array_size - 1;  // indices 1 .. MaxArraySize - 1
  const int64_t least_per_task = ceil_div(trials, most_tasks);
  if (array_size > 0) {
    if (array_size > most_tasks)
      throw ConfigError(fmt::format(
          "--array-size {} is above the site's limit: MaxArraySize {} allows at most {} tasks; "
          "pack the {} trials with --trials-per-task {} (or leave both out to pack them)",
          array_size, max_array_size, most_tasks, trials, least_per_task));
    const int64_t tasks = std::min(array_size, trials);
    return {tasks, ceil_div(trials, tasks)};
  }
  if (trials_per_task > 0 && trials_per_task < least_per_task)
    throw ConfigError(fmt::format(
        "--trials-per-task {} makes {} array tasks, above the site's limit: MaxArraySize {} "
        "allows at most {}; use --trials-per-task {} or more (or leave it out to pack them)",
        trials_per_task, ceil_div(trials, trials_per_task), max_array_size, most_tasks,
        least_per_task));
  const int64_t per_task = trials_per_task > 0
                               ? trials_per_task
                               : std::max(least_per_task, std::max<int64_t>(1, trials_at_once));
  const int64_t tasks = ceil_div(trials, std::min(per_task, trials));
  return {tasks, ceil_div(trials, tasks)};
}

std::vector<int64_t> tasks_holding(const std::vector<int64_t>& trial_indices, int64_t tasks) {
  std::vector<int64_t> holding;
  for (const int64_t index : trial_indices) holding.push_back(index % tasks + 1);
  std::sort(holding.begin(), holding.end());
  holding.erase(std::unique(holding.begin(), holding.end()), holding.end());
  return holding;
}

std::string array_indices(const std::vector<int64_t>& tasks) {
  std::string text;
  for (std::size_t i = 0; i < tasks.size();) {
    std::size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    text += fmt::format("{}{}", text.empty() ? "" : ",", tasks[i]);
    if (j > i) text += fmt::format("-{}", tasks[j]);
    i = j + 1;
  }
  return text;
}

std::optional<int64_t> max_array_size_from(const std::string& scontrol_config) {
  static const std::regex line(R"(^\s*MaxArraySize\s*=\s*(\d+)\s*$)");
  std::istringstream lines(scontrol_config);
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    if (std::regex_match(text, match, line) && match[1].length() < 10)
      return std::stoll(match[1].str());
  }
  return std::nullopt;
}

uint64_t slurm_memory_bytes(const std::string& text) {
  static const std::regex size(R"(^(\d{1,12})([KMGTkmgt]?)$)");
  std::smatch match;
  if (!std::regex_match(text, match, size))
    throw ConfigError(fmt::format(
        "--mem: found '{}', expected a SLURM memory size such as 4G, 500M or 4000 (MiB)", text));
  const std::string unit = match[2].length() > 0 ? match[2].str() : "M";
  const auto power = std::string("KMGT").find(static_cast<char>(std::toupper(unit[0])));
  const int shift = static_cast<int>(power) * 10 + 10;
  return std::stoull(match[1].str()) << shift;
}

std::string job_id_from_sbatch(const std::string& output) {
  static const std::regex parsable(R"(^\s*(\d+)(;\S+)?\s*$)");
  std::smatch match;
  if (!std::regex_match(output, match, parsable))
    throw Error(fmt::format("sbatch answered '{}', where a job id was expected", output));
  return match[1].str();
}

void check_scriptable(const SlurmSweep& sweep) {
  const auto refuse_if_unsafe = [](const std::string& what, const std::string& text) {
    if (text.find_first_of(" \t\n\r'\"\\$`#%") != std::string::npos)
      throw ConfigError(fmt::format(
          "{} '{}' holds whitespace, a quote, '$', '`', '\\', '#' or '%', which a batch "
          "script's #SBATCH line cannot carry as written (SLURM ends the line at '#' and "
          "expands '%'); choose one without",
          what, text));
  };
  refuse_if_unsafe("the output directory", sweep.output_dir);
  refuse_if_unsafe("the experiment's name", sweep.experiment);
  for (const auto& [what, text] :
       {std::pair<std::string, std::string>{"--time", sweep.request.time},
        {"--mem", sweep.request.mem},
        {"--partition", sweep.request.partition},
        {"--account", sweep.request.account}})
    refuse_if_unsafe(what, text);
  for (const std::string& argument : sweep.request.sbatch_args) {
    if (argument.rfind("-", 0) != 0 || argument.find_first_of(" \t\n\r#") != std::string::npos)
      throw ConfigError(
          fmt::format("--sbatch-arg '{}': expected one sbatch option such as --qos=short, without "
                      "whitespace or '#' (write --option=value)",
                      argument));
    if (const char* owned = owned_option(argument))
      throw ConfigError(fmt::format(
          "--sbatch-arg '{}' sets {}, which attnlab sets itself (the array's packing, its "
          "logs, the merge's dependency, the jobs' names)",
          argument, owned));
  }
}

std::string array_script(const SlurmSweep& sweep) {
  const SlurmRequest& request = sweep.request;
  std::string text = fmt::format(
      "#!/bin/bash\n"
      "# Written by `attnlab slurm` for experiment {name} (plan {fingerprint}): {trials} trials\n"
      "# in {tasks} array tasks of at most {per_task}. Task i runs share i/{tasks} of the plan,\n"
      "# resuming it: finished trials are never run again. SIGTERM (scancel, preemption, the\n"
      "# time limit) stops its trials at their next step; a requeued or resubmitted task\n"
      "# picks up where it stopped. Resubmit some tasks with sbatch --array=LIST {script}\n"
      "# (LIST: task numbers from 1 to {tasks}, e.g. 1,3-4), or all unfinished ones with\n"
      "# attnlab slurm ... --submit.\n"
      "{subset}"
      "#SBATCH --job-name=attnlab-{name}\n"
      "#SBATCH --array={indices}\n"
      "#SBATCH --cpus-per-task={cpus}\n"
      "#SBATCH --output={logs}/array_%A_%a.out\n"
      "#SBATCH --open-mode=append\n"
      "#SBATCH --requeue\n",
      fmt::arg("name", sweep.experiment), fmt::arg("fingerprint", sweep.fingerprint),
      fmt::arg("trials", sweep.trials), fmt::arg("tasks", sweep.packing.tasks),
      fmt::arg("per_task", sweep.packing.trials_per_task),
      fmt::arg("script", sweep.output_dir + "/slurm/array.sbatch"),
      fmt::arg("cpus", request.cpus_per_task), fmt::arg("logs", sweep.logs),
      fmt::arg("subset", sweep.tasks_to_run.empty()
                             ? std::string()
                             : fmt::format("# This submission runs tasks {} only: the other "
                                           "tasks' trials had finished when it was written.\n",
                                           array_indices(sweep.tasks_to_run))),
      fmt::arg("indices", sweep.tasks_to_run.empty() ? fmt::format("1-{}", sweep.packing.tasks)
                                                     : array_indices(sweep.tasks_to_run)));
  if (!request.mem.empty()) text += fmt::format("#SBATCH --mem={}\n", request.mem);
  text += shared_lines(request);
  text += fmt::format(
      "exec {} run {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --expect-plan {} --no-results{}\n",
      quoted(sweep.program), quoted(sweep.plan), sweep.packing.tasks, sweep.fingerprint,
      sweep.retries > 0 ? fmt::format(" --retries {}", sweep.retries) : "");
  return text;
}

std::string merge_script(const SlurmSweep& sweep) {
  std::string text = fmt::format(
      "#!/bin/bash\n"
      "# Written by `attnlab slurm` for experiment {name} (plan {fingerprint}): after the\n"
      "# array ends, however it ended, writes results.{{h5,csv,md}} from the finished trials\n"
      "# and lists what is missing or failed. Exit 0 when every trial finished.\n"
      "#SBATCH --job-name=attnlab-{name}-merge\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --output={logs}/merge_%j.out\n",
      fmt::arg("name", sweep.experiment), fmt::arg("fingerprint", sweep.fingerprint),
      fmt::arg("logs", sweep.logs));
  text += shared_lines(sweep.request);
  text += fmt::format("exec {} merge {} --expect-plan {}\n", quoted(sweep.program),
                      quoted(sweep.output_dir), sweep.fingerprint);
  return text;
}

}  // namespace attnlab
