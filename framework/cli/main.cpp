// attnlab command line. Every error becomes one message on stderr and exit code 1.
#include <fmt/format.h>

#include <boost/program_options/errors.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "attnlab/matrix_kernel.hpp"
#include "attnlab/process/allocator.hpp"
#include "attnlab/version.hpp"
#include "commands.hpp"

namespace {

constexpr const char* kUsage = R"(usage: attnlab [COMMAND] [OPTIONS]

commands:
  run        run an experiment: every arm over every seed, resumable, then a results
             table ('attnlab run' alone runs the built-in default experiment, as does
             'attnlab' with no command; under mpirun, across the MPI ranks;
             'attnlab run DIR/plan.yaml' runs the plan an output directory holds)
  status     where a run stands, from its output directory alone: finished, diverged,
             failed (why), running (where, since when), missing (--slurm asks SLURM too)
  merge      write results.{h5,csv,md} from the trial files in an output directory,
             whoever wrote them; exit 0 only when every trial finished or diverged
  slurm      write (and with --submit, submit) a SLURM job array that runs an
             experiment's trials packed into tasks, and a merge job after it
  plan       list the trials an experiment expands to (id, arm, seed) without running
  validate   check an experiment file and every trial it expands to
  config     print the fully resolved configuration of an experiment or of one trial
  analyze    measure what every head of every finished trial does (entropy, distance,
             previous-token, duplicate-token and induction detectors, head diversity)
  ablate     remove each head of every finished trial alone (zero and mean ablation),
             rank heads by importance and prune them (Michel et al. 2019)
  patch      activation patching: how much of the clean behaviour putting one clean
             activation into a corrupted run restores
  report     one self-contained HTML report of a run: comparison, head metrics, plots,
             and an interactive attention explorer
  compare    compare the arms of a run over seeds against a baseline arm: differences
             with 95% intervals, Welch and Mann-Whitney p (Holm-adjusted), steps to a
             target, figures at every evaluated length
  generate   continue a prompt with a trained model (greedy, or sampled with
             --temperature and --top-k), one token at a time with its key/value cache
  inspect    what an attnlab file holds: kind, provenance, intact or not, model, final
             figures, parameters with shapes, recorded activations with dimension names
  verify     check files attnlab wrote as every reader does: kind, schema, and the seal
             over attributes and values
  layout     where attnlab writes what in an output directory, and its file kinds
             (--json for tools)
  export     write a trial's trained model as safetensors with its configuration as
             JSON, for NumPy, PyTorch and other tools
  import     read a model in safetensors with its config.json (an export, or trained
             elsewhere) into a checkpoint that attnlab eval reads
  eval       evaluate a trained model (a trial file or checkpoint) again from its file
             alone, on its task or another of the same vocabulary, at other lengths
  train      train one small Transformer on a task (--help lists the flags) and
             print its loss curve
  plugins    list every registered component with its parameters and capabilities
             (--json for tools; --plugin LIBRARY loads a plugin first)
  check-plugin  run the conformance checks on every component a plugin library
             registers (or --built-in) and print a verdict per component
  version    print the attnlab version
  help       show this text

'attnlab COMMAND --help' lists a command's options; docs/experiments.md
describes experiment files.
)";

int dispatch(const std::vector<std::string>& arguments) {
  using namespace attnlab::cli;
  if (arguments.empty()) return run_run({});
  const std::string& command = arguments.front();
  const std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
  if (command == "run") return run_run(rest);
  if (command == "plan") return run_plan(rest);
  if (command == "validate") return run_validate(rest);
  if (command == "config") return run_config(rest);
  if (command == "compare") return run_compare(rest);
  if (command == "analyze") return run_analyze(rest);
  if (command == "ablate") return run_ablate(rest);
  if (command == "patch") return run_patch(rest);
  if (command == "report") return run_report(rest);
  if (command == "layout") return run_layout(rest);
  if (command == "verify") return run_verify(rest);
  if (command == "status") return run_status(rest);
  if (command == "merge") return run_merge(rest);
  if (command == "slurm") return run_slurm(rest);
  if (command == "export") return run_export(rest);
  if (command == "import") return run_import(rest);
  if (command == "eval") return run_eval(rest);
  if (command == "inspect") return run_inspect(rest);
  if (command == "generate") return run_generate(rest);
  if (command == "trial") return run_trial_worker(rest);
  if (command == "train") return run_train(rest);
  if (command == "plugins") return run_plugins(rest);
  if (command == "check-plugin") return run_check_plugin(rest);
  if (command == "version" || command == "--version") {
    fmt::print("attnlab {}\nmatrix products: {}\n", attnlab::version(), attnlab::matrix_kernel());
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (!command.empty() && command[0] == '-') return run_run(arguments);
  fmt::print(stderr, "attnlab: unknown command '{}'\n\n{}", command, kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (!attnlab::retain_freed_memory())
    fmt::print(stderr,
               "attnlab: warning: the C library refused the allocator settings (mallopt); "
               "results are unchanged, runs may be slower\n");
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const boost::program_options::error& e) {
    const std::string command = argc > 1 ? argv[1] : "";  // whose options were refused
    fmt::print(stderr, "attnlab: error: {} (see 'attnlab {}')\n", e.what(),
               command.empty() || command.front() == '-' ? "help" : command + " --help");
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "attnlab: error: {}\n", e.what());
    return 1;
  } catch (...) {  // a plugin may throw anything
    fmt::print(stderr, "attnlab: error: an exception that is not a std::exception\n");
    return 1;
  }
}
