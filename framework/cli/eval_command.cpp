// `attnlab eval FILE`: a trained model evaluated again from its file alone, on
// its own task or, with the task and evaluation keys changed, another of the
// same vocabulary.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnlab/error.hpp"
#include "attnlab/experiment/reevaluation.hpp"
#include "attnlab/io/provenance.hpp"
#include "commands.hpp"
#include "flag_overrides.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

struct EvalFlags {
  std::string file, task, lengths;
  std::vector<std::string> task_parameters, settings, overrides;
  bool json = false, recorded = false;
  int64_t step = kNoStep;
  static constexpr int64_t kNoStep = std::numeric_limits<int64_t>::min();  // --step not given
};

// "k=v,k2=v2" as the YAML flow map "{k: v, k2: v2}".
std::string flow_map(const std::string& setting) {
  std::vector<std::string> pairs;
  std::stringstream in(setting);
  for (std::string pair; std::getline(in, pair, ',');) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0)
      throw ConfigError(fmt::format("--setting: expected k=v or k=v,k2=v2, got '{}'", setting));
    pairs.push_back(pair.substr(0, equals) + ": " + pair.substr(equals + 1));
  }
  return fmt::format("{{{}}}", fmt::join(pairs, ", "));
}

// The flags as the overrides of the file's configuration they stand for, in
// the order: --task, --task-param, --lengths, --setting, then -o.
std::vector<FlagOverride> overrides_of(const EvalFlags& flags) {
  std::vector<FlagOverride> overrides;
  if (!flags.task.empty()) {  // another task: the file's parameters, lengths and settings
                              // are of the task it trained on
    const std::string given = "--task " + flags.task;
    overrides.push_back({fmt::format("task={{name: {}}}", flags.task), given});
    overrides.push_back({"eval.lengths=[]", given});
    overrides.push_back({"eval.settings=[]", given});
  }
  for (const std::string& assignment : flags.task_parameters) {
    if (assignment.find('=') == std::string::npos || assignment.front() == '=')
      throw ConfigError(fmt::format("--task-param: expected key=value, got '{}'", assignment));
    overrides.push_back({"task." + assignment, "--task-param " + assignment});
  }
  if (flags.lengths.find_first_not_of("0123456789, ") != std::string::npos)
    throw ConfigError(fmt::format(
        "--lengths {}: expected task lengths separated by commas, e.g. 16,32", flags.lengths));
  if (!flags.lengths.empty())
    overrides.push_back(
        {fmt::format("eval.lengths=[{}]", flags.lengths), "--lengths " + flags.lengths});
  if (!flags.settings.empty()) {
    std::vector<std::string> maps, given;
    for (const std::string& setting : flags.settings) {
      maps.push_back(flow_map(setting));
      given.push_back("--setting " + setting);
    }
    overrides.push_back({fmt::format("eval.settings=[{}]", fmt::join(maps, ", ")),
                         fmt::format("{}", fmt::join(given, " "))});
  }
  for (const std::string& assignment : flags.overrides)
    overrides.push_back({assignment, "-o " + assignment});
  return overrides;
}

void print_table(const EvalFlags& flags, const SavedModel& saved, const Reevaluation& result) {
  const TrialSpec& spec = saved.spec();
  fmt::print("attnlab eval {}: {} trained on {} (length {}){}; evaluated on {}, {}\n", flags.file,
             to_string(spec.shape), spec.task.name, saved.task().length(),
             saved.step() == spec.train.steps ? "" : fmt::format(", at step {}", saved.step()),
             result.task, result.setup);
  std::size_t width = 6;
  const auto figures = result.figures();
  for (const auto& figure : figures) width = std::max(width, figure.first.size());
  fmt::print("{:<{}}  value\n", "figure", width);
  for (const auto& [name, value] : figures) fmt::print("{:<{}}  {:.6g}\n", name, width, value);
}

}  // namespace

int run_eval(const std::vector<std::string>& arguments) {
  EvalFlags flags;
  po::options_description options("attnlab eval FILE [options]");
  options.add_options()("help,h", "show this text")(
      "task", po::value(&flags.task),
      "evaluate on another task of the same vocabulary, its parameters at their defaults but "
      "for --task-param, and only at its length but for --lengths and --setting (task.name)")(
      "task-param", po::value(&flags.task_parameters)->composing(),
      "a parameter of the task as key=value, e.g. length=16 (task.KEY; repeatable)")(
      "lengths", po::value(&flags.lengths),
      "task lengths evaluated besides the task's own, e.g. 16,32 (eval.lengths)")(
      "setting", po::value(&flags.settings)->composing(),
      "an evaluation of the task with parameters changed, e.g. ignore_probability=0.98 "
      "(eval.settings; k=v,k2=v2 for several; repeatable)")(
      "override,o", po::value(&flags.overrides)->composing(),
      "KEY=VALUE of the file's configuration, under task, eval or plugins, or "
      "record.examples, train.batch, train.seed or train.threads (repeatable)")(
      "recorded-examples", po::bool_switch(&flags.recorded),
      "evaluate the record.examples examples the trial records its activations on (stored in "
      "its file under activations/inputs when it records), not the evaluation batches: figures "
      "eval_<metric>[recorded], which a re-implementation can compute on the same inputs")(
      "step", po::value(&flags.step),
      "evaluate the parameters of this record.every step (a trial recorded with "
      "record.parameters stores them), not the last step's")("json", po::bool_switch(&flags.json),
                                                             "print the figures as JSON");
  if (parse_with_positional(
          arguments, options, flags.file,
          "Rebuilds the model of FILE (a trial file of a run, OUTPUT/trials/<id>.h5, or a "
          "checkpoint of attnlab train --checkpoint or attnlab import) from its stored "
          "configuration and parameters, and evaluates it as its training's last evaluation "
          "did: on the same examples, so a trial's figures equal its final figures at the "
          "thread count it trained with. The model never changes; the task and the evaluation "
          "may (docs/interchange.md).\n"
          "e.g. attnlab eval runs/heads/trials/<id>.h5 --lengths 16,32"))
    return 0;
  if (flags.file.empty())
    throw ConfigError(
        "expected a trial file or checkpoint, e.g. attnlab eval runs/NAME/trials/<id>.h5");
  check_file_at(flags.file);  // in a child: HDF5 may crash on a damaged file
  if (flags.step != EvalFlags::kNoStep && flags.step < 1)
    throw ConfigError(fmt::format("--step {}: expected a step >= 1", flags.step));
  const SavedModel saved(flags.file, flags.step == EvalFlags::kNoStep ? -1 : flags.step);
  const std::vector<FlagOverride> overrides = overrides_of(flags);
  Reevaluation result;
  try {
    result =
        reevaluate(saved, assignments(overrides),
                   flags.recorded ? EvaluatedExamples::recorded : EvaluatedExamples::evaluation);
  } catch (const ConfigError& error) {
    throw naming_flags(error, overrides);
  }
  if (!flags.json) {
    print_table(flags, saved, result);
    return 0;
  }
  nlohmann::ordered_json figures = nlohmann::ordered_json::object();
  for (const auto& [name, value] : result.figures()) figures[name] = value;
  const nlohmann::ordered_json json = {{"file", flags.file},
                                       {"step", saved.step()},
                                       {"task", result.task},
                                       {"setup", result.setup},
                                       {"figures", figures}};
  std::cout << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace attnlab::cli
