#include "trial_check.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/experiment/trial_spec.hpp"
#include "attnlab/model/layers.hpp"
#include "attnlab/model/task_model.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

[[noreturn]] void fail(const ConfigNode& config, const std::string& key,
                       const std::string& message) {
  const ConfigNode* node = config.at_path(key);
  throw ConfigError(fmt::format("{}: {}: {}", node ? node->location().str() : "(default)", key,
                                message));
}

// Collects the names of the activations a forward pass reports.
class NameCollector final : public ActivationObserver {
 public:
  void observe(std::string_view name, const Tensor&) override { names.emplace(name); }
  std::set<std::string> names;
};

bool task_suits(const std::string& task, ModelShape shape) {
  const auto& can = task_registry().find(task).capabilities;
  return shape == ModelShape::encoder ? can.encoder
         : shape == ModelShape::decoder ? can.decoder
                                        : can.encoder_decoder;
}

}  // namespace

bool is_recorded(const std::string& name, const std::vector<std::string>& patterns,
                 const std::vector<int64_t>& layers) {
  const bool matches = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return fnmatch(p.c_str(), name.c_str(), 0) == 0;
  });
  if (!matches || layers.empty()) return matches;
  const auto at = name.find(".layers.");
  if (at == std::string::npos) return true;  // not inside a layer (embeddings)
  const int64_t layer = std::stoll(name.substr(at + 8));
  return std::find(layers.begin(), layers.end(), layer) != layers.end();
}

void check_trial(const ConfigNode& resolved) {
  const TrialSpec spec = trial_spec(resolved);
  if (!task_suits(spec.task.name, spec.shape))
    fail(resolved, "model.architecture",
         fmt::format("task '{}' cannot be posed to a model of architecture {}", spec.task.name,
                     to_string(spec.shape)));
  try {
    head_dimensions(spec.model);
  } catch (const ConfigError& e) {
    fail(resolved, "heads.count", e.what());
  }
  const std::unique_ptr<Task> task =
      task_registry().create(spec.task.name, spec.task.parameters, {});
  Rng rng = seeded_rng(spec.train.seed, "init");
  std::unique_ptr<TaskModel> model;
  try {
    model = std::make_unique<TaskModel>(spec.shape, spec.model, rng);
  } catch (const ConfigError& e) {
    fail(resolved, "attention.variant", e.what());
  }
  NameCollector collector;
  for (const int64_t length : spec.train.eval_lengths) {
    Rng data = seeded_rng(0, "check");
    try {
      NoGradGuard no_grad;
      model->forward(task->sample(spec.shape, 1, length, data), {.observer = &collector});
    } catch (const Error& e) {
      fail(resolved, length == task->length() ? "task.length" : "eval.lengths",
           fmt::format("a forward pass at length {} fails: {}", length, e.what()));
    }
  }
  for (const std::string& pattern : spec.record.tensors) {
    const bool any = std::any_of(collector.names.begin(), collector.names.end(),
                                 [&](const std::string& n) { return is_recorded(n, {pattern}, {}); });
    if (!any)
      fail(resolved, "record.tensors",
           fmt::format("'{}' matches no activation; this model reports e.g. {}", pattern,
                       fmt::format("{}, {}", *collector.names.begin(), *collector.names.rbegin())));
  }
  for (const int64_t layer : spec.record.layers)
    if (layer >= spec.model.decoder_layers)
      fail(resolved, "record.layers",
           fmt::format("found layer {}, expected an index < model.layers = {}", layer,
                       spec.model.decoder_layers));
  for (const int64_t head : spec.record.heads)
    if (head >= spec.model.heads)
      fail(resolved, "record.heads",
           fmt::format("found head {}, expected an index < heads.count = {}", head,
                       spec.model.heads));
}

}  // namespace attnlab
