#include "attnlab/analysis/head_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>

#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/stats/sample_summary.hpp"
#include "attnlab/task/task.hpp"
#include "text_table.hpp"

namespace attnlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string csv_number(double value) {
  return std::isfinite(value) ? fmt::format("{:.9g}", value) : "";
}

std::string head_metrics_csv(const std::vector<TrialHeadMetrics>& trials) {
  std::string text = "trial,arm,seed,module,head";
  for (const HeadMetricField& field : head_metric_fields()) text += fmt::format(",{}", field.name);
  text += ",layer_diversity,trial_permutation_sensitivity\n";
  for (const TrialHeadMetrics& trial : trials)
    for (const ModuleMetrics& module : trial.modules)
      for (std::size_t h = 0; h < module.heads.size(); ++h) {
        text += fmt::format("{},{},{},{},{}", trial.id, csv_field(trial.arm), trial.seed,
                            module.module, h);
        for (const HeadMetricField& field : head_metric_fields())
          text += fmt::format(",{}", csv_number(module.heads[h].*field.member));
        text += fmt::format(",{},{}\n", csv_number(module.diversity),
                            csv_number(trial.permutation_sensitivity));
      }
  return text;
}

// The first kShownExamples examples of a pattern.
AttentionPattern first_examples(const AttentionPattern& pattern) {
  const Shape& shape = pattern.weights.shape();  // [example, head, query, key]
  const int64_t shown = std::min(kShownExamples, shape[0]);
  AttentionPattern first = pattern;
  first.weights = ops::slice(pattern.weights, 0, 0, shown);
  first.scores = Tensor();  // the shown examples keep their weights only
  const auto keep = [&](std::vector<int32_t>& values, int64_t per_example) {
    if (!values.empty()) values.resize(static_cast<std::size_t>(shown * per_example));
  };
  keep(first.query_tokens, shape[2]);
  keep(first.key_tokens, shape[3]);
  keep(first.query_lengths, 1);
  keep(first.key_lengths, 1);
  return first;
}

// The shown examples' weights and tokens, for pictures and the report.
void write_shown(Hdf5File& file, const std::string& path, const AttentionPattern& shown) {
  file.write_tensor(path + "/weights", shown.weights);
  file.set_attribute(path + "/weights", "dims",
                     std::vector<std::string>{std::string(dims::example), std::string(dims::head),
                                              std::string(dims::query), std::string(dims::key)});
  file.set_attribute(path, "causal", static_cast<int64_t>(shown.causal));
  file.set_attribute(path, "self_attention", static_cast<int64_t>(shown.self_attention));
  const Shape& shape = shown.weights.shape();
  const auto tokens = [&](const char* name, const std::vector<int32_t>& values, int64_t length) {
    if (!values.empty()) file.write_ints(path + "/" + name, values, {shape[0], length});
  };
  tokens("query_tokens", shown.query_tokens, shape[2]);
  tokens("key_tokens", shown.key_tokens, shape[3]);
  if (!shown.query_lengths.empty())
    file.write_ints(path + "/query_lengths", shown.query_lengths, {shape[0]});
  if (!shown.key_lengths.empty())
    file.write_ints(path + "/key_lengths", shown.key_lengths, {shape[0]});
}

void write_trial_group(Hdf5File& file, const TrialHeadMetrics& trial) {
  const std::string group = "trials/" + trial.id;
  file.create_group(group);
  file.set_attribute(group, "arm", trial.arm);
  file.set_attribute(group, "seed", static_cast<int64_t>(trial.seed));
  file.set_attribute(group, "examples", trial.examples);
  file.set_attribute(group, "examples_from", trial.recorded ? "recorded" : "analysis");
  file.set_attribute(group, "permutation_sensitivity", trial.permutation_sensitivity);
  file.set_attribute(group, "tokens", trial.tokens);
  for (const ModuleMetrics& module : trial.modules) {
    const std::string path = hdf5_path(group, module.module);
    file.create_group(path);
    file.set_attribute(path, "diversity", module.diversity);
    const auto heads = static_cast<int64_t>(module.heads.size());
    for (const HeadMetricField& field : head_metric_fields()) {
      std::vector<float> values;
      for (const HeadMetrics& head : module.heads)
        values.push_back(static_cast<float>(head.*field.member));
      file.write_tensor(path + "/" + field.name, Tensor::from_values({heads}, values));
    }
    write_shown(file, path, module.shown);
  }
}

double best_of(const ModuleMetrics& module, double HeadMetrics::*member) {
  double best = kNaN;
  for (const HeadMetrics& head : module.heads)
    if (!std::isnan(head.*member) && (std::isnan(best) || head.*member > best)) best = head.*member;
  return best;
}

// The values of one module's figure over an arm's trials (NaNs kept out).
std::vector<double> over_seeds(const std::vector<TrialHeadMetrics>& trials, const std::string& arm,
                               const std::string& module,
                               const std::function<double(const ModuleMetrics&)>& figure) {
  std::vector<double> values;
  for (const TrialHeadMetrics& trial : trials) {
    if (trial.arm != arm) continue;
    for (const ModuleMetrics& m : trial.modules)
      if (m.module == module && !std::isnan(figure(m))) values.push_back(figure(m));
  }
  return values;
}

}  // namespace

TrialHeadMetrics measure_heads(const TrainedTrial& trial, int64_t examples, bool on_recorded) {
  const TaskBatch batch = on_recorded ? trial.recorded_examples() : trial.examples(examples);
  TrialHeadMetrics measured;
  measured.id = trial.id();
  measured.arm = trial.arm();
  measured.seed = trial.seed();
  measured.tokens = Task::token_kind(task_registry().find(trial.spec().task.name).capabilities);
  measured.examples = on_recorded ? trial.spec().record.examples : examples;
  measured.recorded = on_recorded;
  measured.permutation_sensitivity = permutation_sensitivity(trial, batch);
  for (const AttentionPattern& pattern : trial.attention_patterns(batch))
    measured.modules.push_back(
        {pattern.module, head_metrics(pattern), head_diversity(pattern), first_examples(pattern)});
  return measured;
}

void write_head_metrics(const ExperimentResults& results,
                        const std::vector<TrialHeadMetrics>& trials) {
  prepare_output_folder(results.layout.analysis());
  write_hdf5_atomically(results.layout.head_metrics_h5(), [&](Hdf5File& file) {
    write_provenance(file, file_kinds::head_metrics);
    file.set_attribute("/", "experiment", results.plan.name);
    file.create_group("trials");
    for (const TrialHeadMetrics& trial : trials) write_trial_group(file, trial);
  });
  write_file_atomically(results.layout.head_metrics_csv(), head_metrics_csv(trials));
}

std::string format_head_summary(const ExperimentResults& results,
                                const std::vector<TrialHeadMetrics>& trials, TextFormat format,
                                MeanInterval interval_kind) {
  TextTable table;
  table.title =
      "heads per arm and attention module, over seeds (" + mean_with_interval(interval_kind) +
      "): how different the "
      "layer's heads are (Jensen-Shannon, bits), the best head's score on each detector, and "
      "the sharpest head's normalised entropy";
  table.columns = {{"arm", "arm"},
                   {"module", "module"},
                   {"heads", "heads"},
                   {"seeds", "seeds"},
                   {"diversity", "diversity"},
                   {"best previous-token", "best_previous_token"},
                   {"best duplicate-token", "best_duplicate_token"},
                   {"best induction", "best_induction"},
                   {"sharpest entropy", "sharpest_normalised_entropy"}};
  for (const std::string& arm : results.plan.arms) {
    std::vector<std::pair<std::string, std::size_t>> modules;  // in model order, with heads
    for (const TrialHeadMetrics& trial : trials)
      if (trial.arm == arm)
        for (const ModuleMetrics& m : trial.modules)
          if (std::none_of(modules.begin(), modules.end(),
                           [&](const auto& known) { return known.first == m.module; }))
            modules.emplace_back(m.module, m.heads.size());
    for (const auto& entry : modules) {  // not a structured binding: clang 14 cannot capture one
      const std::string& module = entry.first;
      const std::size_t heads = entry.second;
      const auto cell = [&](const std::function<double(const ModuleMetrics&)>& figure) {
        return seeds_mean_cell(over_seeds(trials, arm, module, figure), interval_kind);
      };
      const auto seeds = over_seeds(trials, arm, module, [](const ModuleMetrics&) { return 0.0; });
      table.rows.push_back(
          {text(arm), text(module), number(static_cast<double>(heads)),
           number(static_cast<double>(seeds.size())),
           cell([](const ModuleMetrics& m) { return m.diversity; }),
           cell([](const ModuleMetrics& m) {
             return best_of(m, &HeadMetrics::previous_token_score);
           }),
           cell([](const ModuleMetrics& m) {
             return best_of(m, &HeadMetrics::duplicate_token_score);
           }),
           cell([](const ModuleMetrics& m) { return best_of(m, &HeadMetrics::induction_score); }),
           cell([](const ModuleMetrics& m) {
             double sharpest = kNaN;
             for (const HeadMetrics& h : m.heads)
               if (!std::isnan(h.normalised_entropy) &&
                   (std::isnan(sharpest) || h.normalised_entropy < sharpest))
                 sharpest = h.normalised_entropy;
             return sharpest;
           })});
    }
  }
  table.notes.push_back(
      "per-head figures of every trial: analysis/head_metrics.csv and head_metrics.h5 in the "
      "output directory; definitions: docs/analysis.md");

  TextTable order;
  order.title = "order sensitivity per arm over seeds (" + mean_with_interval(interval_kind) +
                "): how far the last layer's states "
                "move when each input is shuffled, relative to their size (0 = order-blind, as "
                "self-attention without positions is; about 1.4 = unrelated)";
  order.columns = {{"arm", "arm"}, {"seeds", "seeds"}, {"permutation sensitivity", "sensitivity"}};
  for (const std::string& arm : results.plan.arms) {
    std::vector<double> values;
    for (const TrialHeadMetrics& trial : trials)
      if (trial.arm == arm) values.push_back(trial.permutation_sensitivity);
    if (values.empty()) continue;
    order.rows.push_back({text(arm), number(static_cast<double>(values.size())),
                          seeds_mean_cell(values, interval_kind)});
  }
  return join_sections({render(table, format), render(order, format)}, format);
}

}  // namespace attnlab::analysis
