#include "attnlab/model/task_model.hpp"

#include <algorithm>

namespace attnlab {

TaskModel::TaskModel(ModelShape shape, const TransformerConfig& config, Rng& rng) : shape_(shape) {
  switch (shape) {
    case ModelShape::encoder:
      module_ = std::make_unique<EncoderClassifier>(config, config.readout, rng);
      break;
    case ModelShape::decoder:
      module_ = std::make_unique<DecoderLM>(config, rng);
      break;
    case ModelShape::encoder_decoder:
      module_ = std::make_unique<EncoderDecoder>(config, rng);
      break;
  }
}

TaskModel::~TaskModel() = default;

Tensor TaskModel::forward(const TaskBatch& batch, const ForwardContext& context) const {
  switch (shape_) {
    case ModelShape::encoder:
      return static_cast<const EncoderClassifier&>(*module_).forward(batch.source, context);
    case ModelShape::decoder:
      return static_cast<const DecoderLM&>(*module_).forward(batch.target_input, context);
    case ModelShape::encoder_decoder:
      return static_cast<const EncoderDecoder&>(*module_).forward(batch.source, batch.target_input,
                                                                  context);
  }
  return {};
}

TransformerConfig configure_for_task(TransformerConfig config, const Task& task, ModelShape shape,
                                     const std::vector<int64_t>& lengths) {
  config.vocab_size = task.vocab_size();
  config.target_vocab_size = 0;
  config.num_classes = task.num_classes();
  if (config.max_length == 0)
    for (const int64_t length : lengths)
      config.max_length = std::max(config.max_length, task.sequence_length(shape, length));
  return config;
}

}  // namespace attnlab
