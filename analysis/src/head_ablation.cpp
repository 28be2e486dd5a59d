#include "attnlab/analysis/head_ablation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>

#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/stats/sample_summary.hpp"
#include "attnlab/train/trainer.hpp"
#include "text_table.hpp"

namespace attnlab::analysis {
namespace {

// The gates and offsets of every attention module of a model, applied on
// request and removed when it goes (the model is as trained again).
class HeadControls {
 public:
  explicit HeadControls(TaskModel& model) : modules_(model.attention_modules()) {
    for (const auto& [name, attention] : modules_)
      gates_.emplace_back(static_cast<std::size_t>(attention->heads()), 1.0f);
  }
  ~HeadControls() {
    for (const auto& [name, attention] : modules_) {
      attention->set_head_gates(Tensor());
      attention->set_head_offsets(Tensor());
    }
  }
  HeadControls(const HeadControls&) = delete;
  HeadControls& operator=(const HeadControls&) = delete;

  std::size_t size() const { return modules_.size(); }
  const std::string& name(std::size_t m) const { return modules_[m].first; }
  MultiHeadAttention& attention(std::size_t m) const { return *modules_[m].second; }
  int64_t heads(std::size_t m) const { return modules_[m].second->heads(); }
  void set_gate(std::size_t m, int64_t h, float value) { gates_[m][h] = value; }
  void open_all() {
    for (auto& gates : gates_) std::fill(gates.begin(), gates.end(), 1.0f);
  }
  void apply() const {
    for (std::size_t m = 0; m < modules_.size(); ++m)
      modules_[m].second->set_head_gates(
          Tensor::from_values({static_cast<int64_t>(gates_[m].size())}, gates_[m]));
  }

 private:
  std::vector<std::pair<std::string, MultiHeadAttention*>> modules_;
  std::vector<std::vector<float>> gates_;
};

// The trial's evaluation at its training length, as training evaluated it.
Evaluation evaluate_now(const TrainedTrial& trial) {
  const TrialSpec& spec = trial.spec();
  return evaluate(trial.model(), trial.task(), trial.task().length(), spec.train.eval_batches,
                  spec.train.batch, spec.train.seed);
}

// Each module's mean head output [h, d_k] over the examples' valid positions.
class HeadOutputMeans final : public ActivationObserver {
 public:
  HeadOutputMeans(const TaskBatch& batch) : batch_(batch) {}
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    const std::string_view name = recorded.name;
    constexpr std::string_view kSuffix = ".head_outputs";
    if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix)
      return;
    const std::string module(name.substr(0, name.size() - kSuffix.size()));
    const TokenBatch& queries =
        module.rfind("decoder.", 0) == 0 ? batch_.target_input : batch_.source;
    const Shape& shape = value.shape();  // [B, h, T, d_k]
    const int64_t heads = shape[1], length = shape[2], width = shape[3];
    const std::vector<float> values = value.to_vector();
    std::vector<float> mean(static_cast<std::size_t>(heads * width), 0.0f);
    int64_t positions = 0;
    for (int64_t b = 0; b < shape[0]; ++b) {
      const int64_t valid = queries.lengths.empty() ? length : queries.lengths[b];
      positions += valid;
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t t = 0; t < valid; ++t)
          for (int64_t f = 0; f < width; ++f)
            mean[h * width + f] += values[((b * heads + h) * length + t) * width + f];
    }
    for (float& v : mean) v /= static_cast<float>(std::max<int64_t>(1, positions));
    means[module] = Tensor::from_values({heads, width}, mean);
  }
  std::map<std::string, Tensor> means;

 private:
  const TaskBatch& batch_;
};

// Mean over examples of |dL/d xi| for every head, one example at a time (the
// absolute value is taken per example, as in Michel et al.).
std::vector<std::vector<double>> importances(TrainedTrial& trial, HeadControls& controls,
                                             const TaskBatch& batch, int64_t examples) {
  std::vector<std::vector<double>> total(controls.size());
  for (std::size_t m = 0; m < controls.size(); ++m)
    total[m].assign(static_cast<std::size_t>(controls.heads(m)), 0.0);
  int64_t scored = 0;  // examples with something scored: the mean is over those
  for (int64_t e = 0; e < examples; ++e) {
    std::vector<Tensor> gates;
    for (std::size_t m = 0; m < controls.size(); ++m) {
      gates.push_back(Tensor::full({controls.heads(m)}, 1.0f));
      gates.back().requires_grad();
      controls.attention(m).set_head_gates(gates.back());
    }
    const TaskBatch one = rows_of(batch, examples, e, 1);
    Tensor loss = ops::cross_entropy(trial.model().forward(one), one.targets, kIgnoreTarget);
    if (!std::isfinite(loss.item())) continue;  // nothing scored in this example
    ++scored;
    loss.backward();
    for (std::size_t m = 0; m < controls.size(); ++m)
      if (gates[m].has_grad())
        for (int64_t h = 0; h < controls.heads(m); ++h)
          total[m][h] += std::fabs(gates[m].grad()[h]);
  }
  for (auto& module : total)
    for (double& importance : module)
      importance /= static_cast<double>(std::max<int64_t>(1, scored));
  return total;
}

}  // namespace

TrialAblation ablate_heads(TrainedTrial& trial, int64_t examples) {
  TrialAblation result{trial.id(), trial.arm(), trial.seed(), 0.0, 0.0, {}, {}};
  HeadControls controls(trial.model());
  const Evaluation clean = evaluate_now(trial);
  result.loss = clean.loss;
  result.accuracy = clean.accuracy;

  const TaskBatch batch = trial.examples(examples);
  HeadOutputMeans means(batch);
  {
    NoGradGuard no_grad;
    trial.model().forward(batch, {.observer = &means});
  }
  const auto importance = importances(trial, controls, batch, examples);
  for (std::size_t m = 0; m < controls.size(); ++m) {
    double norm = 0.0;
    for (const double i : importance[m]) norm += i * i;
    norm = std::sqrt(norm);
    const Tensor& mean = means.means.at(controls.name(m));
    const int64_t width = mean.shape()[1];
    for (int64_t h = 0; h < controls.heads(m); ++h) {
      HeadAblation head{controls.name(m),
                        h,
                        0,
                        0,
                        0,
                        0,
                        importance[m][h],
                        norm > 0.0 ? importance[m][h] / norm : 0.0};
      controls.open_all();
      controls.set_gate(m, h, 0.0f);
      controls.apply();
      const Evaluation zero = evaluate_now(trial);
      head.zero_loss = zero.loss;
      head.zero_accuracy = zero.accuracy;
      std::vector<float> offsets(static_cast<std::size_t>(controls.heads(m) * width), 0.0f);
      const std::vector<float> mean_values = mean.to_vector();
      std::copy_n(mean_values.begin() + h * width, width, offsets.begin() + h * width);
      controls.attention(m).set_head_offsets(
          Tensor::from_values({controls.heads(m), width}, offsets));
      const Evaluation replaced = evaluate_now(trial);
      controls.attention(m).set_head_offsets(Tensor());
      head.mean_loss = replaced.loss;
      head.mean_accuracy = replaced.accuracy;
      result.heads.push_back(head);
    }
  }

  // Pruning: the least important heads first (by normalised importance).
  std::vector<std::size_t> order(result.heads.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return result.heads[a].normalised_importance < result.heads[b].normalised_importance;
  });
  controls.open_all();
  result.pruning.push_back({0, "", -1, clean.loss, clean.accuracy});
  std::map<std::string, std::size_t> module_index;
  for (std::size_t m = 0; m < controls.size(); ++m) module_index[controls.name(m)] = m;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const HeadAblation& head = result.heads[order[k]];
    controls.set_gate(module_index.at(head.module), head.head, 0.0f);
    controls.apply();
    const Evaluation pruned = evaluate_now(trial);
    result.pruning.push_back(
        {static_cast<int64_t>(k + 1), head.module, head.head, pruned.loss, pruned.accuracy});
  }
  return result;
}

namespace {

// analysis/head_ablation.h5: per trial and module, each figure as [heads]; the pruning curve.
void write_ablation_file(const std::filesystem::path& path, const std::string& experiment,
                         const std::vector<TrialAblation>& trials) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    write_provenance(file, file_kinds::head_ablation);
    file.set_attribute("/", "experiment", experiment);
    for (const TrialAblation& trial : trials) {
      const std::string group = "trials/" + trial.id;
      file.create_group(group);
      file.set_attribute(group, "arm", trial.arm);
      file.set_attribute(group, "seed", static_cast<int64_t>(trial.seed));
      file.set_attribute(group, "loss", trial.loss);
      file.set_attribute(group, "accuracy", trial.accuracy);
      std::map<std::string, std::vector<const HeadAblation*>> by_module;
      std::vector<std::string> modules;
      for (const HeadAblation& h : trial.heads) {
        if (!by_module.count(h.module)) modules.push_back(h.module);
        by_module[h.module].push_back(&h);
      }
      for (const std::string& module : modules) {
        const std::string at = hdf5_path(group, module);
        const auto column = [&](double HeadAblation::*member) {
          std::vector<float> values;
          for (const HeadAblation* h : by_module[module])
            values.push_back(static_cast<float>(h->*member));
          return Tensor::from_values({static_cast<int64_t>(values.size())}, values);
        };
        for (const auto& [name, member] :
             std::vector<std::pair<const char*, double HeadAblation::*>>{
                 {"zero_loss", &HeadAblation::zero_loss},
                 {"zero_accuracy", &HeadAblation::zero_accuracy},
                 {"mean_loss", &HeadAblation::mean_loss},
                 {"mean_accuracy", &HeadAblation::mean_accuracy},
                 {"importance", &HeadAblation::importance},
                 {"normalised_importance", &HeadAblation::normalised_importance}})
          file.write_tensor(at + "/" + name, column(member));
      }
      std::vector<float> loss, accuracy;
      for (const PruningStep& p : trial.pruning) {
        loss.push_back(static_cast<float>(p.loss));
        accuracy.push_back(static_cast<float>(p.accuracy));
      }
      const auto steps = static_cast<int64_t>(loss.size());
      file.write_tensor(group + "/pruning/loss", Tensor::from_values({steps}, loss));
      file.write_tensor(group + "/pruning/accuracy", Tensor::from_values({steps}, accuracy));
    }
  });
}

}  // namespace

void write_head_ablation(const ExperimentResults& results,
                         const std::vector<TrialAblation>& trials) {
  prepare_output_folder(results.layout.analysis());
  write_ablation_file(results.layout.head_ablation_h5(), results.plan.name, trials);
  const auto number = [](double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : ""; };
  std::string heads =
      "trial,arm,seed,module,head,loss,accuracy,zero_loss,zero_accuracy,mean_loss,mean_accuracy,"
      "importance,normalised_importance\n";
  std::string pruning = "trial,arm,seed,removed,module,head,loss,accuracy\n";
  for (const TrialAblation& trial : trials) {
    for (const HeadAblation& h : trial.heads)
      heads += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", trial.id,
                           csv_field(trial.arm), trial.seed, h.module, h.head, number(trial.loss),
                           number(trial.accuracy), number(h.zero_loss), number(h.zero_accuracy),
                           number(h.mean_loss), number(h.mean_accuracy), number(h.importance),
                           number(h.normalised_importance));
    for (const PruningStep& p : trial.pruning)
      pruning += fmt::format(
          "{},{},{},{},{},{},{},{}\n", trial.id, csv_field(trial.arm), trial.seed, p.removed,
          p.module, p.head < 0 ? "" : std::to_string(p.head), number(p.loss), number(p.accuracy));
  }
  write_file_atomically(results.layout.head_ablation_csv(), heads);
  write_file_atomically(results.layout.head_pruning_csv(), pruning);
}

std::string format_ablation_summary(const ExperimentResults& results,
                                    const std::vector<TrialAblation>& trials, TextFormat format,
                                    MeanInterval interval_kind) {
  TextTable table;
  table.title =
      "head ablation per arm over seeds (" + mean_with_interval(interval_kind) +
      "; accuracy on each trial's own "
      "evaluation): the largest accuracy lost by removing one head alone (its gate at 0, or "
      "its output replaced by its mean), how many heads cost more than 0.01 alone, and the "
      "accuracy with heads pruned, least important first (Michel et al. 2019)";
  table.columns = {{"arm", "arm"},
                   {"heads", "heads"},
                   {"accuracy", "accuracy"},
                   {"worst single (zero)", "largest_zero_ablation_drop"},
                   {"worst single (mean)", "largest_mean_ablation_drop"},
                   {"heads > 0.01", "heads_that_matter"},
                   {"1/4 pruned", "accuracy_quarter_pruned"},
                   {"1/2 pruned", "accuracy_half_pruned"},
                   {"all but 1", "accuracy_one_left"}};
  for (const std::string& arm : results.plan.arms) {
    std::vector<double> accuracy, zero_drop, mean_drop, matter, quarter, half, one_left;
    int64_t heads = 0;
    for (const TrialAblation& t : trials) {
      if (t.arm != arm) continue;
      heads = static_cast<int64_t>(t.heads.size());
      accuracy.push_back(t.accuracy);
      double worst_zero = 0.0, worst_mean = 0.0;
      int64_t mattering = 0;
      for (const HeadAblation& h : t.heads) {
        worst_zero = std::max(worst_zero, t.accuracy - h.zero_accuracy);
        worst_mean = std::max(worst_mean, t.accuracy - h.mean_accuracy);
        mattering += t.accuracy - h.zero_accuracy > 0.01 ? 1 : 0;
      }
      zero_drop.push_back(worst_zero);
      mean_drop.push_back(worst_mean);
      matter.push_back(static_cast<double>(mattering));
      const auto at = [&](std::size_t removed) { return t.pruning.at(removed).accuracy; };
      quarter.push_back(at(t.heads.size() / 4));
      half.push_back(at(t.heads.size() / 2));
      one_left.push_back(at(t.heads.size() - 1));
    }
    if (accuracy.empty()) continue;
    const auto cell = [&](const std::vector<double>& values) {
      return seeds_mean_cell(values, interval_kind);
    };
    table.rows.push_back({text(arm), number(static_cast<double>(heads)), cell(accuracy),
                          cell(zero_drop), cell(mean_drop), cell(matter), cell(quarter), cell(half),
                          cell(one_left)});
  }
  table.notes.push_back(
      "per-head figures: analysis/head_ablation.csv; pruning curves: analysis/head_pruning.csv");
  return render(table, format);
}

}  // namespace attnlab::analysis
