#include "trial_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/io/parameter_file.hpp"
#include "attnlab/model/layers.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/model/task_model.hpp"
#include "attnlab/nn/dotted_pattern.hpp"
#include "attnlab/train/seeding.hpp"
#include "memory_estimate.hpp"

namespace attnlab {
namespace {

// Fails at the first of `keys` that was written somewhere (a default has no
// location; the other key involved has one, e.g. model.d_model for heads.count).
[[noreturn]] void fail(const ConfigNode& config, const std::vector<std::string>& keys,
                       const std::string& message) {
  const std::string& key = keys.front();
  SourceLocation where;
  for (const std::string& candidate : keys) {
    const ConfigNode* node = config.at_path(candidate);
    if (node != nullptr && node->location().line > 0) {
      where = node->location();
      if (candidate != key) where.file += fmt::format(" ({})", candidate);
      break;
    }
  }
  throw ConfigError(
      fmt::format("{}: {}: {}", where.line > 0 ? where.str() : "(defaults)", key, message));
}

// `keys` with those written in the file first (each keeps its order).
std::vector<std::string> written_first(const ConfigNode& config, std::vector<std::string> keys) {
  std::stable_partition(keys.begin(), keys.end(), [&](const std::string& key) {
    const ConfigNode* node = config.at_path(key);
    return node != nullptr && node->location().line > 0;
  });
  return keys;
}

// Collects the names of the activations a forward pass reports.
class NameCollector final : public ActivationObserver {
 public:
  void observe(const RecordedTensor& recorded, const Tensor&) override {
    const std::string_view name = recorded.name;
    names.emplace(name);
  }
  std::set<std::string> names;
};

bool task_suits(const std::string& task, ModelShape shape) {
  const auto& can = task_registry().find(task).capabilities;
  return shape == ModelShape::encoder   ? can.encoder
         : shape == ModelShape::decoder ? can.decoder
                                        : can.encoder_decoder;
}

}  // namespace

bool is_recorded(const RecordedTensor& recorded, const std::vector<std::string>& patterns,
                 const std::vector<int64_t>& layers) {
  const bool matches = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return matches_dotted_pattern(p, recorded.name);
  });
  if (!matches || layers.empty() || recorded.layer < 0) return matches;  // embeddings: no layer
  return std::find(layers.begin(), layers.end(), recorded.layer) != layers.end();
}

namespace {

// The architecture, the task, the variant and the evaluation options fit together.
void check_combination(const ConfigNode& resolved, const TrialSpec& spec) {
  if (!task_suits(spec.task.name, spec.shape))
    fail(resolved, {"model.architecture", "task.name"},
         fmt::format("task '{}' cannot be posed to a model of architecture {}", spec.task.name,
                     to_string(spec.shape)));
  const bool pads = task_registry().find(spec.task.name).capabilities.pads;
  const bool causal = spec.model.decoder_mask == DecoderMask::causal;
  if (spec.shape == ModelShape::encoder && !causal)
    fail(resolved, {"model.decoder_mask", "model.architecture"},
         "an encoder has no decoder: decoder_mask: none changes nothing here (remove it)");
  if (spec.shape != ModelShape::encoder_decoder && spec.model.memory != MemoryAccess::full)
    fail(resolved, {"model.memory", "model.architecture"},
         fmt::format("only an encoder-decoder has cross-attention: memory: {} changes nothing in "
                     "a model of architecture {} (remove it)",
                     memory_access_names().name(spec.model.memory), to_string(spec.shape)));
  if (pads && !causal)  // the causal mask is what hides a decoder's right padding
    fail(resolved, {"model.decoder_mask", "task.name"},
         fmt::format("task '{}' pads its sequences, and a decoder without its causal mask would "
                     "attend to the padding; use decoder_mask: causal",
                     spec.task.name));
  if (pads && spec.shape != ModelShape::decoder &&
      !attention_registry().find(spec.model.attention.name).capabilities.padding_mask)
    fail(resolved, {"attention.variant", "task.name", "model.architecture"},
         fmt::format("attention variant '{}' does not honour padding masks, and task '{}' pads "
                     "its sequences (the encoder would attend to padding)",
                     spec.model.attention.name, spec.task.name));
  if (spec.train.generation_batches > spec.train.eval_batches)
    fail(resolved, {"eval.generation_batches", "eval.batches"},
         fmt::format("found {}, expected at most eval.batches = {} (it counts those batches)",
                     spec.train.generation_batches, spec.train.eval_batches));
  if (spec.train.generation_batches > 0 && spec.shape == ModelShape::encoder)
    fail(resolved, {"eval.generation_batches", "model.architecture"},
         "an encoder does not generate: free-running evaluation needs a decoder or an "
         "encoder_decoder");
  try {
    head_dimensions(spec.model);
  } catch (const ConfigError& e) {
    fail(resolved, {"heads.count", "model.d_model", "heads.layout"}, e.what());
  }
}

// Randomized positions draw distinct positions from [0, L) for every sequence
// fed, one draw for the whole batch.
void check_position_range(const ConfigNode& resolved, const BuiltTrial& built) {
  const TrialSpec& spec = built.spec;
  const int64_t range = spec.model.random_positions, longest = built.longest_sequence();
  if (range == 0) return;
  const auto& encoding = positional_registry().find(spec.model.positional.name);
  if (!encoding.capabilities.embeddings && !encoding.capabilities.rotates_qk &&
      !encoding.capabilities.score_bias)
    fail(resolved, {"positional.randomized", "positional.kind"},
         fmt::format("positional encoding '{}' acts through no channel, so it uses no positions: "
                     "randomizing them changes nothing (remove it)",
                     encoding.name));
  if (task_registry().find(spec.task.name).capabilities.pads)
    fail(resolved, {"positional.randomized", "task.name"},
         fmt::format("task '{}' pads its sequences, and one draw of positions serves the whole "
                     "batch: a short item would only ever get the smallest of them; randomized "
                     "positions need a task whose sequences all have the batch's length",
                     spec.task.name));
  if (range < longest)
    fail(resolved, {"positional.randomized", "task.length", "eval.lengths"},
         fmt::format("found {}, expected 0 or at least the longest sequence fed to the model, "
                     "{} tokens (at task.length, eval.lengths and eval.settings): each pass "
                     "draws distinct positions from [0, {})",
                     range, longest, range));
}

// The estimated memory of the trial, its eval.settings included, within the limit;
// before anything is allocated. Returns the estimate in bytes.
double check_memory(const ConfigNode& resolved, const BuiltTrial& built, uint64_t memory_limit) {
  const TrialSpec& spec = built.spec;
  MemoryEstimate memory = estimate_memory(spec, *built.task);
  for (const std::unique_ptr<Task>& setting : built.setting_tasks) {
    TrialSpec evaluated = spec;  // the evaluation of a setting at its own length
    evaluated.train.eval_lengths = {setting->length()};
    const MemoryEstimate other = estimate_memory(evaluated, *setting);
    if (other.evaluation_bytes > memory.evaluation_bytes) {
      memory.evaluation_bytes = other.evaluation_bytes;
      memory.longest_evaluation = other.longest_evaluation;
    }
  }
  const uint64_t limit = memory_limit > 0 ? memory_limit : available_memory_bytes();
  if (memory.total() > static_cast<double>(limit))
    fail(resolved, written_first(resolved, memory.driving_keys()),
         fmt::format("this trial needs {}, more than the {} it may use ({})", memory.describe(),
                     format_bytes(static_cast<double>(limit)),
                     memory_limit > 0 ? "set by --memory-limit"
                                      : "the memory available now; --memory-limit SIZE sets "
                                        "another limit"));
  return memory.total();
}

// The model builds, and a forward pass runs at every evaluated length, on every
// eval.settings task and, if asked, free-running. Returns the names it records.
std::set<std::string> check_forward_passes(const ConfigNode& resolved, const BuiltTrial& built,
                                           bool read_initial_weights) {
  const TrialSpec& spec = built.spec;
  const Task& task = *built.task;
  Rng rng = seeded_rng(spec.train.seed, "init");
  std::unique_ptr<TaskModel> model;
  try {
    model = std::make_unique<TaskModel>(spec.shape, spec.model, rng);
  } catch (const ConfigError& e) {
    fail(resolved, {"attention.variant", "positional.kind", "heads.layout", "model.architecture"},
         e.what());
  }
  if (read_initial_weights && !spec.train.init_from.empty()) {
    try {
      load_initial_weights(model->module(), spec.train.init_from, spec.train.init_from_strict);
    } catch (const Error& e) {
      fail(resolved, {"train.init_from"}, e.what());
    }
  }
  NameCollector collector;
  for (const int64_t length : spec.train.eval_lengths) {
    Rng data = seeded_rng(0, "check");
    try {
      NoGradGuard no_grad;
      model->forward(task.sample(spec.shape, 1, length, data), {.observer = &collector});
    } catch (const std::exception& e) {  // bad_alloc too: the estimate can be wrong
      const std::string message =
          fmt::format("a forward pass at length {} fails: {}", length, e.what());
      if (length == task.length())
        fail(resolved, {"task.length", "model.max_length", "positional.kind", "attention.variant"},
             message);
      fail(resolved, {"eval.lengths"}, message);
    }
  }
  for (std::size_t i = 0; i < built.setting_tasks.size(); ++i) {
    const Task& setting = *built.setting_tasks[i];
    Rng data = seeded_rng(0, "check");
    try {
      NoGradGuard no_grad;
      model->forward(setting.sample(spec.shape, 1, setting.length(), data));
    } catch (const std::exception& e) {
      throw ConfigError(fmt::format("{}: eval.settings[{}]: a forward pass on {} fails: {}",
                                    resolved.at_path("eval.settings")->items()[i].location().str(),
                                    i, spec.eval_settings[i].name, e.what()));
    }
  }
  if (spec.train.generation_batches > 0) {
    Rng data = seeded_rng(0, "check");
    NoGradGuard no_grad;
    if (model->generate_answers(task.sample(spec.shape, 2, task.length(), data)).empty())
      fail(resolved, {"eval.generation_batches", "task.name"},
           fmt::format("task '{}' has no free-running form: its scored targets are not the next "
                       "tokens of one answer per row (remove eval.generation_batches)",
                       spec.task.name));
  }
  return collector.names;
}

// record.tensors each select something the model reports; record.layers and
// record.heads exist and are listed once.
void check_recording(const ConfigNode& resolved, const TrialSpec& spec,
                     const std::set<std::string>& reported) {
  for (const ConfigNode& item : resolved.at_path("record.tensors")->items()) {
    const std::string& pattern = item.text();
    const bool any = std::any_of(reported.begin(), reported.end(), [&](const std::string& n) {
      return matches_dotted_pattern(pattern, n);
    });
    if (!any)
      throw ConfigError(fmt::format(
          "{}: record.tensors: '{}' matches no activation ('*' stays within one dotted segment, "
          "'**' spans segments, e.g. '**.weights'); this model reports e.g. {}, {}",
          item.location().str(), pattern, *reported.begin(), *reported.rbegin()));
  }
  if (spec.record.parameters && spec.record.every == 0)
    fail(resolved, {"record.parameters", "record.every"},
         "stores the parameters at each record.every step, and record.every is 0 (the last "
         "step's parameters are always stored, under /parameters): set record.every");
  for (const int64_t layer : spec.record.layers)
    if (layer >= spec.model.decoder_layers)
      fail(resolved, {"record.layers"},
           fmt::format("found layer {}, expected an index < model.layers = {}", layer,
                       spec.model.decoder_layers));
  for (std::size_t i = 0; i < spec.record.heads.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (spec.record.heads[i] == spec.record.heads[j])
        fail(resolved, {"record.heads"},
             fmt::format("head {} is listed twice", spec.record.heads[i]));
  for (const int64_t head : spec.record.heads)
    if (head >= spec.model.heads)
      fail(resolved, {"record.heads"},
           fmt::format("found head {}, expected an index < heads.count = {}", head,
                       spec.model.heads));
}

}  // namespace

double check_trial(const ConfigNode& resolved, uint64_t memory_limit, bool read_initial_weights) {
  const BuiltTrial built = build_trial(resolved);
  check_combination(resolved, built.spec);
  check_position_range(resolved, built);
  const double bytes = check_memory(resolved, built, memory_limit);
  check_recording(resolved, built.spec,
                  check_forward_passes(resolved, built, read_initial_weights));
  return bytes;
}

}  // namespace attnlab
