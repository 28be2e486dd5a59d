#include "attnlab/analysis/permutation_sensitivity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnlab/model/stacks.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab::analysis {
namespace {

// One recorded tensor, by its full name, as the pass reports it.
class OneRecording final : public ActivationObserver {
 public:
  explicit OneRecording(std::string name) : name_(std::move(name)) {}
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    if (recorded.name == name_) states = value.detach();
  }
  Tensor states;  // [B, T, D]

 private:
  std::string name_;
};

// The residual stream after the stack's last layer.
Tensor states_of(const TrainedTrial& trial, const TaskBatch& batch, const std::string& stack) {
  const TransformerConfig& config = trial.spec().model;
  const int64_t layers = stack == "encoder" ? config.encoder_layers : config.decoder_layers;
  OneRecording observer(
      fmt::format("{}.{}.{}", stack, layer_module_name(layers - 1), kLayerOutputName));
  NoGradGuard no_grad;
  trial.model().forward(batch, {.observer = &observer});
  return observer.states;
}

}  // namespace

TaskBatch shuffled_inputs(const TrainedTrial& trial, const TaskBatch& batch,
                          std::vector<std::vector<int64_t>>* orders) {
  TaskBatch permuted = batch;
  TokenBatch& tokens =
      trial.spec().shape == ModelShape::decoder ? permuted.target_input : permuted.source;
  Rng rng = seeded_rng(trial.spec().train.seed, "permutation");
  for (int64_t b = 0; b < tokens.batch; ++b) {
    const int64_t valid = tokens.lengths.empty() ? tokens.length : tokens.lengths[b];
    std::vector<int64_t> order(static_cast<std::size_t>(tokens.length));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.begin() + valid, rng);
    const std::vector<int32_t> original(tokens.ids.begin() + b * tokens.length,
                                        tokens.ids.begin() + (b + 1) * tokens.length);
    for (int64_t i = 0; i < valid; ++i) tokens.ids[b * tokens.length + order[i]] = original[i];
    if (orders) orders->push_back(std::move(order));
  }
  return permuted;
}

double permutation_sensitivity(const TrainedTrial& trial, const TaskBatch& batch) {
  const ModelShape shape = trial.spec().shape;
  std::vector<std::vector<int64_t>> orders;
  const TaskBatch permuted = shuffled_inputs(trial, batch, &orders);
  const std::string stack = shape == ModelShape::encoder ? "encoder" : "decoder";
  const std::vector<float> before = states_of(trial, batch, stack).to_vector();
  const Tensor after_states = states_of(trial, permuted, stack);
  const std::vector<float> after = after_states.to_vector();
  const Shape& dims = after_states.shape();  // [B, T, D]
  const int64_t length = dims[1], width = dims[2];
  const bool moves = shape != ModelShape::encoder_decoder;  // the permuted stack's own states
  double moved = 0.0, total = 0.0;
  for (int64_t b = 0; b < dims[0]; ++b) {
    const TokenBatch& queries = shape == ModelShape::encoder ? batch.source : batch.target_input;
    const int64_t valid = queries.lengths.empty() ? length : queries.lengths[b];
    for (int64_t i = 0; i < valid; ++i) {
      const int64_t j = moves ? orders[b][i] : i;
      double difference = 0.0, norm = 0.0;
      for (int64_t f = 0; f < width; ++f) {
        const double h = before[(b * length + i) * width + f];
        const double moved_h = after[(b * length + j) * width + f];
        difference += (moved_h - h) * (moved_h - h);
        norm += h * h;
      }
      moved += std::sqrt(difference);
      total += std::sqrt(norm);
    }
  }
  return total > 0.0 ? moved / total : 0.0;
}

}  // namespace attnlab::analysis
