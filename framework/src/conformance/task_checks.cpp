// Conformance of a task: valid, seeded batches for every model shape it
// claims, at every batch size, at every evaluation length up to 4 x its
// training length and at every parameter setting (`eval.settings`) it accepts.
#include <fmt/format.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "attnlab/task/task.hpp"
#include "check_support.hpp"
#include "parameter_settings.hpp"

namespace attnlab::conformance {
namespace {

void require_tokens_below(const TokenBatch& tokens, int64_t vocab, const char* what) {
  tokens.validate();
  for (int32_t id : tokens.ids)
    require(id >= 0 && id < vocab,
            fmt::format("{} holds token {} outside [0, {})", what, id, vocab));
}

bool same(const TaskBatch& a, const TaskBatch& b) {
  return a.source.ids == b.source.ids && a.target_input.ids == b.target_input.ids &&
         a.targets == b.targets;
}

void require_targets(const Task& task, const TaskBatch& a, const Task::Capabilities& claims,
                     ModelShape shape, bool must_score) {
  const TokenBatch& output = shape == ModelShape::encoder ? a.source : a.target_input;
  const bool per_sequence = shape == ModelShape::encoder && claims.sequence_labels;
  const int64_t expected = per_sequence ? output.batch : output.batch * output.length;
  require(static_cast<int64_t>(a.targets.size()) == expected,
          fmt::format("{} targets for {} {} (one each: kIgnoreTarget where not scored)",
                      a.targets.size(), expected, per_sequence ? "sequences" : "output positions"));
  // An encoder's targets are classes; a decoder's, tokens.
  const int64_t classes = shape == ModelShape::encoder ? task.num_classes() : task.vocab_size();
  int64_t scored = 0;
  for (int32_t target : a.targets) {
    if (target == kIgnoreTarget) continue;
    require(target >= 0 && target < classes,
            fmt::format("target {} outside [0, {})", target, classes));
    ++scored;
  }
  require(!must_score || scored > 0, "no target is scored");
}

// `batch` examples of `length` for `shape` are seeded and valid. With
// `typical` (the defaults at the training length), generators of different
// seeds give different examples and some target is scored; neither is asked
// of every setting and length (one symbol, or length 1, allows one example
// only; flip_flop may draw no read, which training and evaluation allow).
void require_valid_batches(const Task& task, const Task::Capabilities& claims, ModelShape shape,
                           int64_t batch, int64_t length, bool typical = false) {
  Rng first(11), again(11), other(12);
  const TaskBatch a = task.sample(shape, batch, length, first);
  require(same(a, task.sample(shape, batch, length, again)),
          "two samples from generators with the same seed differ");
  require(!typical || !same(a, task.sample(shape, batch, length, other)),
          "samples from generators with different seeds are identical");
  const TokenBatch& input = shape == ModelShape::encoder ? a.source : a.target_input;
  require(input.batch == batch, fmt::format("asked for {} examples, got {}", batch, input.batch));
  const int64_t vocab = task.vocab_size();
  if (shape != ModelShape::decoder) require_tokens_below(a.source, vocab, "the encoder input");
  if (shape != ModelShape::encoder)
    require_tokens_below(a.target_input, vocab, "the decoder input");
  const int64_t longest = std::max(a.source.length, a.target_input.length);
  require(longest <= task.sequence_length(shape, length),
          fmt::format("a sequence of {} tokens, longer than sequence_length() = {}", longest,
                      task.sequence_length(shape, length)));
  for (const TokenBatch* tokens : {&a.source, &a.target_input})
    require(claims.pads || tokens->lengths.empty() ||
                std::all_of(tokens->lengths.begin(), tokens->lengths.end(),
                            [&](int32_t l) { return l == tokens->length; }),
            "a batch holds padded sequences, but the task does not declare 'pads'");
  require_targets(task, a, claims, shape, typical);
}

// A case's fields read as a task's: batch, length (keys) and parameter setting.
struct TaskCase {
  int64_t batch, length;
  const ParameterSetting& setting;
};

TaskCase task_case(const AttentionShape& s, const std::vector<ParameterSetting>& settings) {
  return {s.batch, s.keys, settings[static_cast<std::size_t>(s.setting)]};
}

// A ConfigError building the task or sampling (a setting or length the task
// refuses) refuses the case.
std::string batches(const Registry<Task>::Entry& entry,
                    const std::vector<ParameterSetting>& settings, ModelShape shape,
                    const AttentionShape& s) {
  const TaskCase c = task_case(s, settings);
  const auto task =
      refusing([&] { return built(task_registry().create(entry.name, c.setting, {})); });
  refusing([&] {
    Rng probe(11);
    return task->sample(shape, c.batch, c.length, probe);
  });
  require_valid_batches(*task, entry.capabilities, shape, c.batch, c.length);
  return "";
}

}  // namespace

ComponentReport check_task(const std::string& name, const CheckOptions& options) {
  const auto& entry = task_registry().find(name);
  ComponentReport report{
      .kind = Task::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  std::unique_ptr<Task> task;
  report.checks.push_back(run_check("builds", [&] {
    task = built(task_registry().create(entry.name, {}, {}));
    return fmt::format("vocabulary {}, length {}", task->vocab_size(), task->length());
  }));
  const std::vector<ParameterSetting> settings = parameter_settings(entry.parameters);
  const std::pair<ModelShape, bool> shapes[] = {
      {ModelShape::encoder, entry.capabilities.encoder},
      {ModelShape::decoder, entry.capabilities.decoder},
      {ModelShape::encoder_decoder, entry.capabilities.encoder_decoder}};
  for (const auto& [each_shape, claimed] : shapes) {
    const ModelShape shape = each_shape;  // a copy: clang 14 captures no structured bindings
    const std::string check = to_string(shape);
    if (!claimed || !task) {
      report.checks.push_back(
          skipped_check(check, claimed ? "the task did not build" : "not claimed"));
      continue;
    }
    report.checks.push_back(run_check(check, [&] {
      // Its own training length, with the defaults, is never refused.
      require_valid_batches(*task, entry.capabilities, shape, 4, task->length(), true);
      const ShapeLimits limits{.max_batch = 5,
                               .max_heads = 1,
                               .max_length = (options.thorough ? 8 : 4) * task->length(),
                               .max_width = 1,
                               .self_attention = true,
                               .settings = static_cast<int64_t>(settings.size())};
      return over_shapes(
          options, limits,
          fmt::format("seeded batches with tokens and targets in range, at lengths to {} x the "
                      "training length",
                      options.thorough ? 8 : 4),
          [&](const AttentionShape& s) { return batches(entry, settings, shape, s); }, false,
          [&](const AttentionShape& s) {
            const TaskCase c = task_case(s, settings);
            return fmt::format("batch {}, length {}{}", c.batch, c.length,
                               with_setting(s, settings));
          });
    }));
  }
  return report;
}

}  // namespace attnlab::conformance
