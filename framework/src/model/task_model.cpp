#include "attnlab/model/task_model.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace attnlab {

TaskModel::TaskModel(ModelShape shape, const TransformerConfig& config, Rng& rng)
    : shape_(shape),
      cached_(config.decoder_mask == DecoderMask::causal &&
              attention_registry().find(config.attention.name).capabilities.cached_generation) {
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

// A row's scored targets: one run [start, end), nothing scored outside it.
struct AnswerSpan {
  int64_t start = 0, end = 0;
};

// Each row's answer span, or nothing if a row scores nothing, not one run, or
// targets that are not the next input token (fed back, a generated token must
// be the input of the next position).
std::optional<std::vector<AnswerSpan>> answer_spans(const std::vector<int32_t>& targets,
                                                    const std::vector<int32_t>& inputs,
                                                    int64_t rows, int64_t width) {
  std::vector<AnswerSpan> spans;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* row = targets.data() + r * width;
    const int32_t* input = inputs.data() + r * width;
    AnswerSpan span;
    while (span.start < width && row[span.start] == kIgnoreTarget) ++span.start;
    span.end = span.start;
    while (span.end < width && row[span.end] != kIgnoreTarget) ++span.end;
    if (span.start == width ||
        std::any_of(row + span.end, row + width, [](int32_t t) { return t != kIgnoreTarget; }))
      return std::nullopt;
    for (int64_t t = span.start; t + 1 < span.end; ++t)
      if (input[t + 1] != row[t]) return std::nullopt;
    spans.push_back(span);
  }
  return spans;
}

// Position t predicts sequence token t + 1, in a generated sequence that starts
// where the model's input starts: copies a row's answers from its generation.
void scatter(const Generation& generation, int64_t generation_row, const AnswerSpan& span,
             int64_t answer_row, int64_t width, std::vector<int32_t>& answers) {
  const TokenBatch& tokens = generation.tokens;
  for (int64_t t = span.start; t < span.end; ++t)
    answers[answer_row * width + t] = tokens.ids[generation_row * tokens.length + t + 1];
}

}  // namespace

std::vector<int32_t> TaskModel::generate_answers(const TaskBatch& batch,
                                                 const ForwardContext& context) const {
  const TokenBatch& input = batch.target_input;
  if (shape_ == ModelShape::encoder || !input.lengths.empty()) return {};
  const int64_t rows = input.batch, width = input.length;
  const auto spans = answer_spans(batch.targets, input.ids, rows, width);
  if (!spans) return {};
  std::vector<int32_t> answers(static_cast<std::size_t>(rows * width), kIgnoreTarget);
  const bool cached = cached_;
  if (shape_ == ModelShape::decoder) {
    // The prompt is a row's input up to its first scored position; rows whose
    // answers start at the same place are generated together.
    std::map<int64_t, std::vector<int64_t>> rows_by_start;
    for (int64_t r = 0; r < rows; ++r) rows_by_start[(*spans)[r].start].push_back(r);
    for (const auto& [start, group] : rows_by_start) {
      TokenBatch prompt{static_cast<int64_t>(group.size()), start + 1, {}, {}};
      int64_t steps = 0;
      for (const int64_t r : group) {
        prompt.ids.insert(prompt.ids.end(), input.ids.begin() + r * width,
                          input.ids.begin() + r * width + start + 1);
        steps = std::max(steps, (*spans)[r].end - start);
      }
      const Generation g =
          static_cast<const DecoderLM&>(*module_).generate(prompt, steps, cached, context);
      for (std::size_t i = 0; i < group.size(); ++i)
        scatter(g, static_cast<int64_t>(i), (*spans)[group[i]], group[i], width, answers);
    }
    return answers;
  }
  // An encoder-decoder decodes every row from its one start token.
  const int32_t start_token = input.ids.front();
  int64_t steps = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (input.ids[r * width] != start_token) return {};
    steps = std::max(steps, (*spans)[r].end);
  }
  const Generation g = static_cast<const EncoderDecoder&>(*module_).generate(
      batch.source, start_token, steps, cached, context);
  for (int64_t r = 0; r < rows; ++r) scatter(g, r, (*spans)[r], r, width, answers);
  return answers;
}

Generation TaskModel::generate(const TokenBatch& prompt, int64_t steps, int32_t start_token,
                               const TokenChooser& choose) const {
  if (shape_ == ModelShape::decoder)
    return static_cast<const DecoderLM&>(*module_).generate(prompt, steps, cached_, {}, choose);
  if (shape_ == ModelShape::encoder_decoder)
    return static_cast<const EncoderDecoder&>(*module_).generate(prompt, start_token, steps,
                                                                 cached_, {}, choose);
  throw ConfigError(
      "an encoder-only model classifies its input and generates nothing: generation needs a "
      "decoder or an encoder-decoder");
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

std::vector<std::pair<std::string, MultiHeadAttention*>> TaskModel::attention_modules() {
  std::vector<std::pair<std::string, MultiHeadAttention*>> found;
  for (Module* module : module_->modules())
    if (auto* attention = dynamic_cast<MultiHeadAttention*>(module))
      found.emplace_back(attention->path(), attention);
  return found;
}

}  // namespace attnlab
