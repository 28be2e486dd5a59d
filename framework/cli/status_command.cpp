// `attnlab status OUTPUT_DIR [--slurm] [--all]`: where a run stands, from the
// output directory alone (docs/cluster.md). Exit 0 when every trial finished,
// 3 when some have not, 1 on an error.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <ctime>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/run/run_status.hpp"
#include "commands.hpp"
#include "run_state_listing.hpp"
#include "slurm_jobs.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_status(const std::vector<std::string>& arguments) {
  std::string dir;
  bool slurm = false, all = false;
  po::options_description options("attnlab status OUTPUT_DIR [options]");
  options.add_options()("help,h", "show this text")(
      "slurm", po::bool_switch(&slurm),
      "also ask SLURM, in one query, about the jobs `attnlab slurm --submit` recorded")(
      "all", po::bool_switch(&all), "list every running, failed and missing trial");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir));
  po::options_description every;
  every.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(every).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << options << "\n"
              << "Exit status: 0 when every trial finished, 3 when some have not.\n";
    return 0;
  }
  po::notify(values);
  if (dir.empty()) throw ConfigError("attnlab status: give the output directory, e.g. runs/heads");
  const OutputLayout layout(dir);
  const RunStatus status = read_run_status(layout, static_cast<int64_t>(std::time(nullptr)));
  fmt::print("experiment {} in {}: {}\n", status.plan.name, layout.dir().string(),
             state_counts(status));
  fmt::print("{}", state_listing(status, layout, all ? 0 : 20));
  if (slurm) fmt::print("{}", slurm_job_states(layout));
  if (status.complete()) fmt::print("every trial finished\n");
  return status.complete() ? 0 : 3;
}

}  // namespace attnlab::cli
