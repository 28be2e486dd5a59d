// Conformance of head layouts (consistent dimensions, a model that builds and
// generates) and tasks (valid, seeded batches for every claimed model shape).
#include <fmt/format.h>

#include <algorithm>

#include "attnlab/attention/head_layout.hpp"
#include "attnlab/error.hpp"
#include "attnlab/task/task.hpp"
#include "check_support.hpp"

namespace attnlab::conformance {
namespace {

std::string layout_dimensions(const std::string& name) {
  std::string accepted;
  for (int64_t heads : {1, 2, 4, 8}) {
    std::unique_ptr<HeadLayout> layout;
    try {
      layout = built(head_layout_registry().create(name, {}, {.d_model = 8, .heads = heads}));
    } catch (const ConfigError&) {
      continue;  // a layout may refuse a head count, with a message
    }
    const HeadDimensions d = layout->dimensions();
    require(d.query_heads >= 1 && d.kv_heads >= 1 && d.head_width >= 1 &&
                d.query_heads % d.kv_heads == 0,
            fmt::format("heads = {} gives query heads {}, key/value heads {}, width {}", heads,
                        d.query_heads, d.kv_heads, d.head_width));
    accepted += fmt::format("{}{}", accepted.empty() ? "" : ", ", heads);
  }
  require(!accepted.empty(), "refuses every head count of 1, 2, 4 and 8 with d_model 8");
  return fmt::format("consistent dimensions for heads = {} (d_model 8)", accepted);
}

void require_tokens_below(const TokenBatch& tokens, int64_t vocab, const char* what) {
  tokens.validate();
  for (int32_t id : tokens.ids)
    require(id >= 0 && id < vocab,
            fmt::format("{} holds token {} outside [0, {})", what, id, vocab));
}

std::string task_batches(const Task& task, const Task::Capabilities& claims, ModelShape shape) {
  const int64_t vocab = task.vocab_size(), length = task.length(), batch = 4;
  Rng first(11), again(11), other(12);
  const TaskBatch a = task.sample(shape, batch, length, first);
  const TaskBatch b = task.sample(shape, batch, length, again);
  const TaskBatch c = task.sample(shape, batch, length, other);
  require(a.source.ids == b.source.ids && a.target_input.ids == b.target_input.ids &&
              a.targets == b.targets,
          "two samples from generators with the same seed differ");
  require(a.source.ids != c.source.ids || a.target_input.ids != c.target_input.ids ||
              a.targets != c.targets,
          "samples from generators with different seeds are identical");
  const TokenBatch& input = shape == ModelShape::encoder ? a.source : a.target_input;
  require(input.batch == batch, fmt::format("asked for {} examples, got {}", batch, input.batch));
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
  const TokenBatch& output = shape == ModelShape::encoder ? a.source : a.target_input;
  const bool per_sequence = shape == ModelShape::encoder && claims.sequence_labels;
  const int64_t expected = per_sequence ? output.batch : output.batch * output.length;
  require(static_cast<int64_t>(a.targets.size()) == expected,
          fmt::format("{} targets for {} {} (one each: kIgnoreTarget where not scored)",
                      a.targets.size(), expected, per_sequence ? "sequences" : "output positions"));
  // An encoder's targets are classes; a decoder's, tokens.
  const int64_t classes = shape == ModelShape::encoder ? task.num_classes() : vocab;
  int64_t scored = 0;
  for (int32_t target : a.targets) {
    if (target == kIgnoreTarget) continue;
    require(target >= 0 && target < classes,
            fmt::format("target {} outside [0, {})", target, classes));
    ++scored;
  }
  require(scored > 0, "no target is scored");
  return fmt::format("{}: seeded, tokens below {}, {} scored targets in {} examples",
                     to_string(shape), vocab, scored, batch);
}

}  // namespace

ComponentReport check_head_layout(const std::string& name) {
  const auto& entry = head_layout_registry().find(name);
  ComponentReport report{
      .kind = HeadLayout::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  report.checks.push_back(run_check("dimensions", [&] { return layout_dimensions(entry.name); }));
  report.checks.push_back(run_check("cached_generation", [&] {
    TransformerConfig config = small_model_config();
    config.head_layout = {entry.name, {}};
    return require_cached_generation_matches(config);
  }));
  return report;
}

ComponentReport check_task(const std::string& name) {
  const auto& entry = task_registry().find(name);
  ComponentReport report{
      .kind = Task::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  std::unique_ptr<Task> task;
  report.checks.push_back(run_check("builds", [&] {
    task = built(task_registry().create(entry.name, {}, {}));
    return fmt::format("vocabulary {}, length {}", task->vocab_size(), task->length());
  }));
  const std::pair<ModelShape, bool> shapes[] = {
      {ModelShape::encoder, entry.capabilities.encoder},
      {ModelShape::decoder, entry.capabilities.decoder},
      {ModelShape::encoder_decoder, entry.capabilities.encoder_decoder}};
  for (const auto& [each_shape, claimed] : shapes) {
    const ModelShape shape = each_shape;  // a copy: clang 14 captures no structured bindings
    const std::string check = to_string(shape);
    if (!claimed || !task)
      report.checks.push_back(
          skipped_check(check, claimed ? "the task did not build" : "not claimed"));
    else
      report.checks.push_back(
          run_check(check, [&] { return task_batches(*task, entry.capabilities, shape); }));
  }
  return report;
}

}  // namespace attnlab::conformance
