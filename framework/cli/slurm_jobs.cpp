#include "slurm_jobs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "attnlab/cluster/slurm_job.hpp"
#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/process/external_program.hpp"

namespace attnlab::cli {
namespace {

constexpr std::chrono::seconds kQueryTime{30};

// The latest submission in the record: "array=ID tasks=N shares=S ..." and the
// "merge=ID after=ID ..." line that follows it, as key -> value.
std::map<std::string, std::string> latest_submission(const OutputLayout& layout) {
  std::ifstream record(layout.slurm_jobs());
  std::map<std::string, std::string> latest;
  for (std::string line; std::getline(record, line);) {
    std::map<std::string, std::string> fields;
    std::istringstream words(line);
    for (std::string word; words >> word;)
      if (const auto equals = word.find('='); equals != std::string::npos)
        fields[word.substr(0, equals)] = word.substr(equals + 1);
    if (fields.count("array"))
      latest = fields;
    else if (fields.count("merge") && fields["after"] == latest["array"])
      latest["merge"] = fields["merge"];
  }
  return latest;
}

void append_line(const OutputLayout& layout, const std::string& line) {
  std::string text;
  if (std::ifstream old(layout.slurm_jobs()); old) {
    std::ostringstream all;
    all << old.rdbuf();
    text = all.str();
  }
  write_file_atomically(
      layout.slurm_jobs(),
      text + fmt::format("{} submitted={}\n", line, static_cast<int64_t>(std::time(nullptr))));
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
  for (auto& [state, jobs] : jobs_in) {
    std::sort(jobs.begin(), jobs.end(), by_job_then_task);
    text += fmt::format("  {}: {}\n", state, joined(jobs));
  }
  return text.empty() ? "  (SLURM no longer lists them)\n" : text;
}

std::optional<ProgramOutcome> ask(const std::string& program, std::vector<std::string> arguments) {
  const std::optional<std::filesystem::path> found = find_on_path(program);
  if (!found) return std::nullopt;
  arguments.insert(arguments.begin(), found->string());
  return run_program(arguments, kQueryTime);
}

}  // namespace

void record_array(const OutputLayout& layout, const std::string& array_job, int64_t tasks,
                  int64_t shares) {
  append_line(layout, fmt::format("array={} tasks={} shares={}", array_job, tasks, shares));
}

void record_merge(const OutputLayout& layout, const std::string& merge_job,
                  const std::string& array_job) {
  append_line(layout, fmt::format("merge={} after={}", merge_job, array_job));
}

std::string slurm_job_states(const OutputLayout& layout) {
  std::map<std::string, std::string> latest = latest_submission(layout);
  std::vector<std::string> jobs;
  for (const char* key : {"array", "merge"})
    if (!latest[key].empty()) jobs.push_back(latest[key]);
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

namespace attnlab::cli {

std::string resubmission_hint(const OutputLayout& layout, const RunStatus& status) {
  std::map<std::string, std::string> latest = latest_submission(layout);
  int64_t shares = 0;
  try {
    shares = std::stoll(latest["shares"]);
  } catch (const std::exception&) {
    return "";  // nothing submitted by attnlab slurm (or by an older one)
  }
  std::vector<int64_t> left;
  for (const TrialState& state : status.trials)
    if (state.kind == TrialState::Kind::missing || state.kind == TrialState::Kind::failed)
      left.push_back(state.index);
  // While trials run, the array probably runs too: the hint would only distract.
  if (left.empty() || shares < 1 || status.count(TrialState::Kind::running) > 0) return "";
  return fmt::format(
      "they are in array task(s) {} of the latest submission; once its array has ended, run "
      "them again with: attnlab slurm {} --submit (only the tasks that hold them run), or by "
      "hand: job=$(sbatch --parsable --array={} {}) then sbatch --dependency=afterany:$job {}\n",
      array_indices(tasks_holding(left, shares)), layout.plan().string(),
      array_indices(tasks_holding(left, shares)), layout.slurm_array_script().string(),
      layout.slurm_merge_script().string());
}

}  // namespace attnlab::cli
