#include <fmt/format.h>

#include <cmath>
#include <set>

#include "attnlab/analysis/report.hpp"
#include "attnlab/ops.hpp"
#include "attnlab/task/task.hpp"
#include "text_table.hpp"

namespace attnlab::analysis {
namespace {

std::string token_label(int32_t id, const std::string& tokens) {
  if (tokens != Task::token_kind({.byte_tokens = true})) return std::to_string(id);
  if (id == ' ') return "\u2423";  // a visible space
  if (id == '\n') return "\\n";
  if (id == '\t') return "\\t";
  if (id >= 33 && id < 127) return std::string(1, static_cast<char>(id));
  return fmt::format("\\x{:02x}", id);
}

std::string labels(const std::vector<int32_t>& ids, int64_t first, int64_t count,
                   const std::string& task) {
  std::string list;
  for (int64_t i = 0; i < count; ++i)
    list += fmt::format(
        "{}{}", i ? "," : "",
        json_string(ids.empty() ? std::to_string(i) : token_label(ids[first + i], task)));
  return "[" + list + "]";
}

// One module's shown examples: labels and weights [head][query][key], rounded.
std::string module_json(const ModuleMetrics& module, const std::string& task) {
  const AttentionPattern& p = module.shown;
  const Shape& shape = p.weights.shape();  // [example, head, query, key]
  const std::vector<float> w = p.weights.to_vector();
  std::string examples;
  for (int64_t b = 0; b < shape[0]; ++b) {
    const int64_t queries = p.query_lengths.empty() ? shape[2] : p.query_lengths[b];
    const int64_t keys = p.key_lengths.empty() ? shape[3] : p.key_lengths[b];
    std::string heads;
    for (int64_t h = 0; h < shape[1]; ++h) {
      std::string rows;
      for (int64_t i = 0; i < queries; ++i) {
        std::string row;
        for (int64_t j = 0; j < keys; ++j) {
          const float v = w[((b * shape[1] + h) * shape[2] + i) * shape[3] + j];
          row +=
              fmt::format("{}{}", j ? "," : "", std::isfinite(v) ? fmt::format("{:.3g}", v) : "0");
        }
        rows += fmt::format("{}[{}]", i ? "," : "", row);
      }
      heads += fmt::format("{}[{}]", h ? "," : "", rows);
    }
    examples += fmt::format("{}{{\"query\":{},\"key\":{},\"weights\":[{}]}}", b ? "," : "",
                            labels(p.query_tokens, b * shape[2], queries, task),
                            labels(p.key_tokens, b * shape[3], keys, task), heads);
  }
  return fmt::format("{{\"name\":{},\"heads\":{},\"examples\":[{}]}}", json_string(module.module),
                     shape[1], examples);
}

// At most `examples` of a module's shown examples.
ModuleMetrics with_examples(const ModuleMetrics& module, int64_t examples) {
  ModuleMetrics fewer = module;
  AttentionPattern& p = fewer.shown;
  const Shape shape = p.weights.shape();
  if (shape[0] <= examples) return fewer;
  p.weights = ops::slice(p.weights, 0, 0, examples);
  const auto keep = [&](std::vector<int32_t>& values, int64_t per_example) {
    if (!values.empty()) values.resize(static_cast<std::size_t>(examples * per_example));
  };
  keep(p.query_tokens, shape[2]);
  keep(p.key_tokens, shape[3]);
  keep(p.query_lengths, 1);
  keep(p.key_lengths, 1);
  return fewer;
}

int64_t weights_of(const TrialHeadMetrics& trial) {
  int64_t total = 0;
  for (const ModuleMetrics& m : trial.modules) total += m.shown.weights.numel();
  return total;
}

}  // namespace

std::string explorer_data(const ExperimentResults& results,
                          const std::vector<TrialHeadMetrics>& trials, int64_t budget) {
  int64_t total = 0, first_seeds = 0;
  std::set<std::string> arms_seen;
  for (const TrialHeadMetrics& t : trials) {
    total += weights_of(t);
    if (arms_seen.insert(t.arm).second) first_seeds += weights_of(t);
  }
  const bool first_seeds_only = total > budget;
  // Still too many with one seed per arm (wide, deep, long models): fewer examples each.
  const int64_t each = first_seeds <= budget
                           ? kShownExamples
                           : std::max<int64_t>(1, kShownExamples * budget / first_seeds);
  std::string arms, shown;
  for (const std::string& arm : results.plan.arms) {
    arms += fmt::format("{}{}", arms.empty() ? "" : ",", json_string(arm));
    bool first = true;
    for (const TrialHeadMetrics& t : trials) {
      if (t.arm != arm || (first_seeds_only && !first)) continue;
      first = false;
      std::string modules;
      for (const ModuleMetrics& m : t.modules)
        modules += fmt::format("{}{}", modules.empty() ? "" : ",",
                               module_json(with_examples(m, each), t.tokens));
      shown += fmt::format("{}{{\"id\":{},\"arm\":{},\"seed\":{},\"modules\":[{}]}}",
                           shown.empty() ? "" : ",\n", json_string(t.id), json_string(arm), t.seed,
                           modules);
    }
  }
  const std::string note =
      first_seeds_only ? fmt::format(
                             "the first seed of each arm only: every seed would hold {} weights, "
                             "more than the report keeps ({})",
                             total, budget)
                       : "every finished trial";
  return fmt::format("{{\"arms\":[{}],\"note\":{},\"trials\":[{}]}}", arms, json_string(note),
                     shown);
}

}  // namespace attnlab::analysis
