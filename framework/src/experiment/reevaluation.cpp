#include "attnlab/experiment/reevaluation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/experiment/experiment.hpp"
#include "attnlab/io/checkpoint.hpp"
#include "attnlab/run/figures.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

void check_changeable(const std::string& assignment) {
  const std::string key = assignment.substr(0, assignment.find('='));
  const auto& allowed = reevaluation_keys();
  const bool changeable = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    return key == a || key.rfind(a + ".", 0) == 0;
  });
  if (!changeable)
    throw ConfigError(
        fmt::format("command line (-o {}): eval evaluates the model as it was trained, so '{}' "
                    "cannot change; only the "
                    "keys under {} can",
                    assignment, key, fmt::join(allowed, ", ")));
}

// The evaluated task must pose its questions in the model's tokens and answers.
void check_compatible(const SavedModel& saved, const TrialSpec& evaluated) {
  const TransformerConfig& model = saved.spec().model;
  const TransformerConfig& asked = evaluated.model;
  if (asked.vocab_size == model.vocab_size && asked.num_classes == model.num_classes &&
      asked.readout == model.readout)
    return;
  throw ConfigError(fmt::format(
      "{}: task '{}' has {} tokens and {} classes ({} readout), but the model was trained on "
      "task '{}' with {} tokens and {} classes ({} readout): evaluate it on a task of the same "
      "vocabulary",
      saved.path().string(), evaluated.task.name, asked.vocab_size, asked.num_classes,
      asked.readout == ClassifierHead::sequence ? "sequence" : "token", saved.spec().task.name,
      model.vocab_size, model.num_classes,
      model.readout == ClassifierHead::sequence ? "sequence" : "token"));
}

// One example at every length and setting evaluated goes through the model
// first, so that one it cannot take (a learned table too short, a sequence too
// long) is refused before anything is evaluated, naming the length.
void check_evaluable(const SavedModel& saved, const BuiltTrial& evaluated) {
  NoGradGuard no_grad;
  const auto check = [&](const Task& task, int64_t length, const std::string& what) {
    try {
      Rng rng = seeded_rng(0, "eval-check");
      saved.model().forward(task.sample(evaluated.spec.shape, 1, length, rng));
    } catch (const Error& error) {
      throw ConfigError(
          fmt::format("{}: cannot evaluate {}: {}", saved.path().string(), what, error.what()));
    }
  };
  const Task& task = *evaluated.task;
  for (const int64_t length : evaluated.spec.train.eval_lengths)
    check(task, length, fmt::format("at task length {} (--lengths, eval.lengths)", length));
  for (std::size_t i = 0; i < evaluated.setting_tasks.size(); ++i)
    check(*evaluated.setting_tasks[i], evaluated.setting_tasks[i]->length(),
          fmt::format("the setting {} (--setting, eval.settings)",
                      evaluated.spec.eval_settings[i].name));
}

}  // namespace

const std::vector<std::string>& reevaluation_keys() {
  static const std::vector<std::string> keys{
      "task", "eval", "plugins", "record.examples", "train.batch", "train.seed", "train.threads"};
  return keys;
}

std::vector<std::pair<std::string, double>> Reevaluation::figures() const {
  std::vector<std::pair<std::string, double>> named;
  for (const Evaluation& e : evaluations)
    for (const Evaluation::Metric& metric : Evaluation::metrics())
      if (!metric.optional || !std::isnan(e.*metric.member))
        named.emplace_back(final_figure_name(metric, e, trained_length), e.*metric.member);
  return named;
}

Reevaluation reevaluate(const SavedModel& saved, const std::vector<std::string>& overrides,
                        EvaluatedExamples examples) {
  for (const std::string& assignment : overrides) check_changeable(assignment);
  const Experiment experiment = experiment_from_text(
      saved.config_yaml(), fmt::format("{} ({})", saved.path().string(), kConfigAttribute),
      overrides);
  const BuiltTrial evaluated = build_trial(experiment.trials.at(0).config);
  check_compatible(saved, evaluated.spec);
  check_evaluable(saved, evaluated);
  set_thread_count(evaluated.spec.threads);
  const std::unique_ptr<Task> own_validation =
      evaluated.spec.train.validation_batches > 0 ? evaluated.task->validation_task() : nullptr;
  const std::vector<EvaluationSetting> settings = evaluated.evaluation_settings();
  Reevaluation result;
  result.task = fmt::format("{} (length {})", evaluated.spec.task.name, evaluated.task->length());
  result.trained_length = evaluated.task->length();
  const TrainOptions& options = evaluated.spec.train;
  result.setup =
      fmt::format("{} batches of {}, seed {}, {} thread{}", options.eval_batches, options.batch,
                  options.seed, evaluated.spec.threads, evaluated.spec.threads == 1 ? "" : "s");
  if (examples == EvaluatedExamples::recorded) {
    const int64_t count = evaluated.spec.record.examples;
    if (count < 1)
      throw ConfigError(
          fmt::format("{}: record.examples is 0: there are no recorded examples to "
                      "evaluate (set it with -o record.examples=N)",
                      saved.path().string()));
    result.setup = fmt::format("the {} recorded examples, {} thread{}", count,
                               evaluated.spec.threads, evaluated.spec.threads == 1 ? "" : "s");
    result.evaluations = {
        evaluate_examples(saved.model(), recorded_examples(evaluated.spec, *evaluated.task), count,
                          result.trained_length, kRecordedExamplesSetting)};
    return result;
  }
  result.evaluations = evaluate_all(saved.model(), *evaluated.task, evaluated.spec.train, settings,
                                    own_validation ? *own_validation : *evaluated.task);
  return result;
}

}  // namespace attnlab
