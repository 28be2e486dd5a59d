#include "attnlab/analysis/trained_trial.hpp"

#include <fmt/format.h>

#include <map>

#include "attnlab/attention/multi_head_attention.hpp"
#include "attnlab/error.hpp"
#include "attnlab/run/results.hpp"
#include "attnlab/run/trial_runner.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab::analysis {
namespace {

// Every attention module's weights and scores as the forward pass reports them,
// found by the names the modules record them under.
class WeightsCollector final : public ActivationObserver {
 public:
  explicit WeightsCollector(TaskModel& model) {
    for (const auto& [path, attention] : model.attention_modules()) {
      order.push_back(path);
      module_of[fmt::format("{}.{}", path, MultiHeadAttention::kWeightsName)] = {path, true};
      module_of[fmt::format("{}.{}", path, MultiHeadAttention::kScoresName)] = {path, false};
    }
  }
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    const auto found = module_of.find(std::string(recorded.name));
    if (found == module_of.end()) return;
    const auto& [module, is_weights] = found->second;
    (is_weights ? weights : scores)[module] = value.detach();
  }
  std::vector<std::string> order;  // in model order
  std::map<std::string, Tensor> weights, scores;

 private:
  std::map<std::string, std::pair<std::string, bool>> module_of;  // name -> (module, weights?)
};

}  // namespace

TrainedTrial::TrainedTrial(const std::filesystem::path& path) {
  const TrialSummary summary = read_trial_summary(path.string());
  if (summary.status != TrialStatus::finished)
    throw IoError(fmt::format("{}: trial {} did not finish; it has no trained model", path.string(),
                              summary.id));
  id_ = summary.id;
  arm_ = summary.arm;
  seed_ = summary.seed;
  saved_ = std::make_unique<SavedModel>(path);
}

TrainedTrial::~TrainedTrial() = default;

TaskBatch TrainedTrial::examples(int64_t count) const {
  Rng rng = seeded_rng(spec().train.seed, "analysis");
  return task().sample(spec().shape, count, task().length(), rng);
}

TaskBatch TrainedTrial::recorded_examples() const {
  if (!recorded_activations())
    throw ConfigError(fmt::format(
        "trial {} ({}) recorded no activations (record.tensors is empty): there are no recorded "
        "examples to measure on; measure on the analysis examples instead",
        id_, arm_));
  return attnlab::recorded_examples(spec(), task());
}

std::vector<AttentionPattern> TrainedTrial::attention_patterns(const TaskBatch& batch) const {
  WeightsCollector collector(saved_->model());
  {
    NoGradGuard no_grad;
    model().forward(batch, {.observer = &collector});
  }
  const bool causal = spec().model.decoder_mask == DecoderMask::causal;
  std::vector<AttentionPattern> patterns;
  for (const std::string& module : collector.order) {
    if (!collector.weights.count(module)) continue;  // a module the pass did not reach
    AttentionPattern p;
    p.module = module;
    p.weights = collector.weights.at(module);
    if (collector.scores.count(module)) p.scores = collector.scores.at(module);
    const bool decoder = module.rfind("decoder.", 0) == 0;
    const TokenBatch& queries = decoder ? batch.target_input : batch.source;
    p.self_attention = module.find(".cross_attn") == std::string::npos;
    p.query_tokens = queries.ids;
    p.query_lengths = queries.lengths;
    if (p.self_attention) {
      p.causal = decoder && causal;
      p.key_tokens = queries.ids;
      p.key_lengths = queries.lengths;
    } else if (p.weights.shape()[3] == batch.source.length) {  // full memory, not its mean
      p.key_tokens = batch.source.ids;
      p.key_lengths = batch.source.lengths;
    }
    patterns.push_back(std::move(p));
  }
  return patterns;
}

}  // namespace attnlab::analysis
