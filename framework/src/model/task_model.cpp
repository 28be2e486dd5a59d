#include "attnlab/model/task_model.hpp"

#include <algorithm>

namespace attnlab {

TaskModel::TaskModel(ModelShape shape, const TransformerConfig& config, Rng& rng)
    : shape_(shape), causal_(config.decoder_mask == DecoderMask::causal) {
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

namespace {

// Where each row's scored targets start, if they are one run to the row's end
// and start at the same position in every row; -1 otherwise.
int64_t common_answer_start(const std::vector<int32_t>& targets, int64_t rows, int64_t width) {
  int64_t common = -1;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* row = targets.data() + r * width;
    int64_t start = 0;
    while (start < width && row[start] == kIgnoreTarget) ++start;
    for (int64_t t = start; t < width; ++t)
      if (row[t] == kIgnoreTarget) return -1;
    if (start == width || (common >= 0 && start != common)) return -1;
    common = start;
  }
  return common;
}

std::vector<int32_t> scattered(const Generation& generation, int64_t first_generated,
                               int64_t answer_start, int64_t rows, int64_t width) {
  std::vector<int32_t> answers(static_cast<std::size_t>(rows * width), kIgnoreTarget);
  const TokenBatch& tokens = generation.tokens;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = answer_start; t < width; ++t)
      answers[r * width + t] = tokens.ids[r * tokens.length + first_generated + t - answer_start];
  return answers;
}

}  // namespace

std::vector<int32_t> TaskModel::generate_answers(const TaskBatch& batch) const {
  const TokenBatch& input = batch.target_input;
  if (shape_ == ModelShape::encoder || !input.lengths.empty() || !batch.source.lengths.empty())
    return {};
  const int64_t rows = input.batch, width = input.length;
  const int64_t start = common_answer_start(batch.targets, rows, width);
  if (start < 0) return {};
  const bool cached = causal_;  // a key/value cache assumes the causal mask
  if (shape_ == ModelShape::decoder) {
    // Position t predicts token t + 1: the prompt is the input up to the first scored position.
    TokenBatch prompt{rows, start + 1, {}, {}};
    for (int64_t r = 0; r < rows; ++r)
      prompt.ids.insert(prompt.ids.end(), input.ids.begin() + r * width,
                        input.ids.begin() + r * width + start + 1);
    const Generation g =
        static_cast<const DecoderLM&>(*module_).generate(prompt, width - start, cached);
    return scattered(g, start + 1, start, rows, width);
  }
  const int32_t start_token = input.ids.front();
  for (int64_t r = 0; r < rows; ++r)
    if (input.ids[r * width] != start_token) return {};
  const Generation g = static_cast<const EncoderDecoder&>(*module_).generate(
      batch.source, start_token, width, cached);
  return scattered(g, 1 + start, start, rows, width);
}

TransformerConfig configure_for_task(TransformerConfig config, const Task& task, ModelShape shape,
                                     const std::vector<int64_t>& lengths,
                                     const Task::Capabilities& declared) {
  config.vocab_size = task.vocab_size();
  config.target_vocab_size = 0;
  config.num_classes = task.num_classes();
  config.readout = declared.sequence_labels ? ClassifierHead::sequence : ClassifierHead::token;
  if (config.max_length == 0)
    for (const int64_t length : lengths)
      config.max_length = std::max(config.max_length, task.sequence_length(shape, length));
  return config;
}

}  // namespace attnlab
