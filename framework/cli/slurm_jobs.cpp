#include "slurm_jobs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/process/external_program.hpp"

namespace attnlab::cli {
namespace {

constexpr std::chrono::seconds kQueryTime{30};

std::vector<std::string> recorded_jobs(const OutputLayout& layout) {
  std::ifstream record(layout.slurm_jobs());
  std::vector<std::string> jobs;
  for (std::string line; std::getline(record, line);) {
    std::istringstream fields(line);
    for (std::string field; fields >> field;)
      for (const char* key : {"array=", "merge="})
        if (field.rfind(key, 0) == 0) jobs.push_back(field.substr(std::string(key).size()));
  }
  return jobs;
}

std::string joined(const std::vector<std::string>& jobs) {
  std::string text;
  for (const std::string& job : jobs) text += (text.empty() ? "" : ",") + job;
  return text;
}

// "12_3" before "12_10", and a job before its array's tasks.
bool by_job_then_task(const std::string& a, const std::string& b) {
  const auto numbers = [](const std::string& id) {
    const auto bar = id.find('_');
    const auto number = [](const std::string& text) {
      return text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) ? int64_t{-1}
                                                                                : std::stoll(text);
    };
    return std::pair{number(id.substr(0, bar)),
                     bar == std::string::npos ? int64_t{-1} : number(id.substr(bar + 1))};
  };
  return numbers(a) != numbers(b) ? numbers(a) < numbers(b) : a < b;
}

// "JOBID|STATE|REASON" lines into "STATE: 12_1, 12_2" lines, one per state.
std::string by_state(const std::string& rows) {
  std::map<std::string, std::vector<std::string>> jobs_in;
  std::istringstream lines(rows);
  for (std::string line; std::getline(lines, line);) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const auto second = line.find('|', bar + 1);
    std::string state =
        line.substr(bar + 1, second == std::string::npos ? std::string::npos : second - bar - 1);
    const std::string reason = second == std::string::npos ? "" : line.substr(second + 1);
    if (!reason.empty() && reason != "None" && reason != "(null)") state += " (" + reason + ")";
    jobs_in[state].push_back(line.substr(0, bar));
  }
  std::string text;
  for (const auto& [state, jobs] : jobs_in) text += fmt::format("  {}: {}\n", state, joined(jobs));
  return text.empty() ? "  (SLURM no longer lists them)\n" : text;
}

std::optional<ProgramOutcome> ask(const std::string& program, std::vector<std::string> arguments) {
  const std::optional<std::filesystem::path> found = find_on_path(program);
  if (!found) return std::nullopt;
  arguments.insert(arguments.begin(), found->string());
  return run_program(arguments, kQueryTime);
}

}  // namespace

void record_submission(const OutputLayout& layout, const std::string& array_job,
                       const std::string& merge_job, int64_t tasks) {
  std::string text;
  if (std::ifstream old(layout.slurm_jobs()); old) {
    std::ostringstream all;
    all << old.rdbuf();
    text = all.str();
  }
  text += fmt::format("array={} merge={} tasks={} submitted={}\n", array_job, merge_job, tasks,
                      static_cast<int64_t>(std::time(nullptr)));
  write_file_atomically(layout.slurm_jobs(), text);
}

std::string slurm_job_states(const OutputLayout& layout) {
  const std::vector<std::string> jobs = recorded_jobs(layout);
  if (jobs.empty())
    return fmt::format("SLURM: no jobs recorded in {} (attnlab slurm --submit records them)\n",
                       layout.slurm_jobs().string());
  const std::string ids = joined(jobs);
  const auto sacct = ask("sacct", {"-n", "-P", "-X", "-j", ids, "-o", "JobID,State,Reason"});
  if (sacct && sacct->succeeded())
    return fmt::format("SLURM jobs {} (sacct):\n{}", ids, by_state(sacct->output));
  // A cluster without accounting storage: squeue knows the jobs it still lists.
  const auto squeue = ask("squeue", {"-h", "--states=all", "-j", ids, "-o", "%i|%T|%r"});
  if (squeue && squeue->succeeded())
    return fmt::format("SLURM jobs {} (squeue{}):\n{}", ids,
                       sacct ? "; sacct: " + failure_text(*sacct) : "", by_state(squeue->output));
  if (!sacct && !squeue) return "SLURM: neither sacct nor squeue is on PATH\n";
  return fmt::format("SLURM: cannot ask about jobs {}: {}\n", ids,
                     failure_text(squeue ? *squeue : *sacct));
}

}  // namespace attnlab::cli
