#include "attnlab/analysis/activation_patching.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "attnlab/analysis/permutation_sensitivity.hpp"
#include "attnlab/io/atomic_file.hpp"
#include "attnlab/nn/dotted_pattern.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/stats/sample_summary.hpp"
#include "attnlab/train/seeding.hpp"
#include "text_table.hpp"

namespace attnlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Recorded {
  Tensor value;
  std::vector<std::string> dimensions;
  bool replaceable = false;  // as declared where it is recorded
};

// The clean pass: every tensor reported, by name, in the order reported.
class Everything final : public ActivationObserver {
 public:
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    const std::string_view name = recorded.name;
    const DimensionNames dimensions = recorded.dimensions;
    order.emplace_back(name);
    seen[order.back()] = {value.detach(),
                          {dimensions.begin(), dimensions.end()},
                          recorded.replaceable == Replaceable::yes};
  }
  std::vector<std::string> order;
  std::map<std::string, Recorded> seen;
};

// The patched pass: one tensor replaced by its clean value, or one head of it.
class Patcher final : public ActivationObserver {
 public:
  Patcher(std::string name, const Recorded& clean, int64_t head_axis, int64_t head)
      : name_(std::move(name)), clean_(clean), head_axis_(head_axis), head_(head) {}
  void observe(const RecordedTensor&, const Tensor&) override {}
  Tensor replace(const RecordedTensor& recorded, const Tensor& value) override {
    const std::string_view name = recorded.name;
    if (name != name_) return Tensor();
    if (head_ < 0) return clean_.value;
    const Shape& shape = value.shape();
    std::vector<Tensor> parts;
    for (int64_t h = 0; h < shape[head_axis_]; ++h)
      parts.push_back(ops::slice(h == head_ ? clean_.value : value.detach(),
                                 static_cast<int>(head_axis_), h, 1));
    return ops::concat(parts, static_cast<int>(head_axis_));
  }

 private:
  std::string name_;
  const Recorded& clean_;
  int64_t head_axis_, head_;
};

struct Score {
  double loss = kNaN, accuracy = kNaN;
};

Score score(const TrainedTrial& trial, const TaskBatch& input, std::span<const int32_t> targets,
            ActivationObserver* observer) {
  NoGradGuard no_grad;
  const Tensor logits = trial.model().forward(input, {.observer = observer});  // [B, T, V]
  Score s;
  s.loss = ops::cross_entropy(logits, targets, kIgnoreTarget).item();
  const std::vector<float> values = logits.to_vector();
  const int64_t vocab = logits.shape().back();
  int64_t right = 0, scored = 0;
  for (std::size_t row = 0; row < targets.size(); ++row) {
    if (targets[row] == kIgnoreTarget) continue;
    const float* begin = values.data() + row * vocab;
    right += std::max_element(begin, begin + vocab) - begin == targets[row] ? 1 : 0;
    ++scored;
  }
  s.accuracy = scored ? static_cast<double>(right) / static_cast<double>(scored) : kNaN;
  return s;
}

TaskBatch corrupted_input(const TrainedTrial& trial, const TaskBatch& clean, Corruption corruption,
                          int64_t examples) {
  if (corruption == Corruption::shuffle) return shuffled_inputs(trial, clean);
  Rng rng = seeded_rng(trial.spec().train.seed, "corrupted");
  TaskBatch other = trial.task().sample(trial.spec().shape, examples, trial.task().length(), rng);
  if (other.targets.size() != clean.targets.size() ||
      other.source.shape() != clean.source.shape() ||
      other.target_input.shape() != clean.target_input.shape() ||
      other.source.lengths != clean.source.lengths ||
      other.target_input.lengths != clean.target_input.lengths)
    throw ConfigError(
        fmt::format("trial {}: resampled examples of task '{}' differ in shape or lengths from the "
                    "clean ones, so "
                    "activations cannot be exchanged; use --corrupt shuffle",
                    trial.id(), trial.spec().task.name));
  return other;
}

}  // namespace

const NamedChoices<Corruption>& corruption_names() {
  static const NamedChoices<Corruption> names{{"shuffle", Corruption::shuffle},
                                              {"resample", Corruption::resample}};
  return names;
}

std::vector<std::string> patchable_activations(const TrainedTrial& trial) {
  Everything recorded;
  score(trial, trial.examples(1), trial.examples(1).targets, &recorded);
  std::vector<std::string> names;
  for (const std::string& name : recorded.order)
    if (recorded.seen.at(name).replaceable) names.push_back(name);
  return names;
}

PatchOutcome patch_activations(const TrainedTrial& trial, const std::string& pattern, int64_t head,
                               Corruption corruption, int64_t examples) {
  const TaskBatch clean = trial.examples(examples);
  const TaskBatch corrupted = corrupted_input(trial, clean, corruption, examples);
  Everything recorded;
  const Score clean_score = score(trial, clean, clean.targets, &recorded);
  const Score corrupted_score = score(trial, corrupted, clean.targets, nullptr);
  std::vector<std::string> names;
  for (const std::string& name : recorded.order)
    if (recorded.seen.at(name).replaceable && matches_dotted_pattern(pattern, name))
      names.push_back(name);
  PatchOutcome outcome;
  if (names.empty())
    outcome.skipped.push_back(
        pattern.find_first_of("*?[") == std::string::npos
            ? fmt::format("it has no activation {}", pattern)
            : fmt::format("none of its activations matches the pattern {}", pattern));
  for (const std::string& name : names) {
    const Recorded& value = recorded.seen.at(name);
    int64_t head_axis = -1;
    if (head >= 0) {  // a query head ("head") or a shared key/value head ("kv_head")
      const auto axis =
          std::find_if(value.dimensions.begin(), value.dimensions.end(),
                       [](const std::string& d) { return d == dims::head || d == dims::kv_head; });
      if (axis == value.dimensions.end()) {
        outcome.skipped.push_back(fmt::format("{} has no head axis (its axes: {})", name,
                                              fmt::join(value.dimensions, ", ")));
        continue;
      }
      head_axis = axis - value.dimensions.begin();
      if (head >= value.value.shape()[head_axis]) {
        outcome.skipped.push_back(
            fmt::format("{} has {} {}s", name, value.value.shape()[head_axis], *axis));
        continue;
      }
    }
    Patcher patcher(name, value, head_axis, head);
    const Score patched = score(trial, corrupted, clean.targets, &patcher);
    const double gap = corrupted_score.loss - clean_score.loss;
    outcome.results.push_back(
        {name, head, clean_score.loss, corrupted_score.loss, patched.loss, clean_score.accuracy,
         corrupted_score.accuracy, patched.accuracy,
         std::fabs(gap) > 1e-9 ? (corrupted_score.loss - patched.loss) / gap : kNaN});
  }
  return outcome;
}

void write_patching(const ExperimentResults& results, const std::vector<TrialPatching>& trials) {
  prepare_output_folder(results.layout.analysis());
  const auto number = [](double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : ""; };
  std::string text =
      "trial,arm,seed,activation,head,clean_loss,corrupted_loss,patched_loss,clean_accuracy,"
      "corrupted_accuracy,patched_accuracy,restored\n";
  for (const TrialPatching& trial : trials)
    for (const PatchResult& r : trial.results)
      text += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", trial.id, csv_field(trial.arm),
                          trial.seed, r.activation, r.head < 0 ? "" : std::to_string(r.head),
                          number(r.clean_loss), number(r.corrupted_loss), number(r.patched_loss),
                          number(r.clean_accuracy), number(r.corrupted_accuracy),
                          number(r.patched_accuracy), number(r.restored));
  write_file_atomically(results.layout.patching_csv(), text);
}

std::string format_patching_summary(const ExperimentResults& results,
                                    const std::vector<TrialPatching>& trials, TextFormat format,
                                    MeanInterval interval_kind) {
  TextTable table;
  table.title =
      "activation patching per arm over seeds (" + mean_with_interval(interval_kind) +
      "): the share of the clean loss "
      "restored by putting the clean activation into the corrupted run (1 = all of it, 0 = "
      "none), and the accuracy on the clean targets";
  table.columns = {{"arm", "arm"},
                   {"activation", "activation"},
                   {"head", "head"},
                   {"restored", "restored"},
                   {"clean acc.", "clean_accuracy"},
                   {"corrupted acc.", "corrupted_accuracy"},
                   {"patched acc.", "patched_accuracy"}};
  for (const std::string& arm : results.plan.arms) {
    std::vector<std::pair<std::string, int64_t>> names;
    for (const TrialPatching& t : trials)
      if (t.arm == arm)
        for (const PatchResult& r : t.results)
          if (std::find(names.begin(), names.end(), std::pair{r.activation, r.head}) == names.end())
            names.emplace_back(r.activation, r.head);
    for (const auto& [activation, head] : names) {
      std::vector<double> restored, clean, corrupted, patched;
      for (const TrialPatching& t : trials)
        if (t.arm == arm)
          for (const PatchResult& r : t.results)
            if (r.activation == activation && r.head == head) {
              if (!std::isnan(r.restored)) restored.push_back(r.restored);
              clean.push_back(r.clean_accuracy);
              corrupted.push_back(r.corrupted_accuracy);
              patched.push_back(r.patched_accuracy);
            }
      const auto cell = [&](const std::vector<double>& values) {
        return seeds_mean_cell(values, interval_kind);
      };
      table.rows.push_back({text(arm), text(activation),
                            text(head < 0 ? "all" : std::to_string(head)), cell(restored),
                            cell(clean), cell(corrupted), cell(patched)});
    }
  }
  table.notes.push_back("per trial: analysis/patching.csv");
  return render(table, format);
}

}  // namespace attnlab::analysis
