// Whole-model properties: gradients, order-blindness, causality, padding, cached generation.
#include <attnlab/error.hpp>
#include <attnlab/model/models.hpp>
#include <attnlab/model/task_model.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/task/task.hpp>
#include <catch2/catch.hpp>

#include "support/gradcheck.hpp"
#include "support/models.hpp"
#include "support/modules.hpp"

using namespace attnlab;

namespace {

TokenBatch batch_of(int64_t rows, int64_t length, std::vector<int32_t> ids,
                    std::vector<int32_t> lengths = {}) {
  return TokenBatch{rows, length, std::move(ids), std::move(lengths)};
}

void require_model_gradients(const Module& model, const std::function<Tensor()>& forward) {
  std::string report;
  const double error = testing::model_gradient_error(model, forward, &report);
  INFO(report);
  REQUIRE(error <= 1e-3);
}

}  // namespace

TEST_CASE("gradients of whole encoder, decoder and encoder-decoder models") {
  for (NormPlacement norm : {NormPlacement::pre, NormPlacement::post}) {
    INFO("norm " << to_string(norm));
    TransformerConfig c = testing::tiny_config();
    c.norm = norm;
    Rng rng(11);
    const TokenBatch src = batch_of(2, 4, {1, 2, 3, 4, 5, 6, 0, 0}, {4, 2});
    const TokenBatch tgt = batch_of(2, 3, {0, 1, 2, 3, 4, 5});
    EncoderClassifier encoder(c, ClassifierHead::sequence, rng);
    require_model_gradients(encoder, [&] { return encoder.forward(src); });
    DecoderLM decoder(c, rng);
    require_model_gradients(decoder, [&] { return decoder.forward(src); });
    EncoderDecoder seq2seq(c, rng);
    require_model_gradients(seq2seq, [&] { return seq2seq.forward(src, tgt); });
  }
}

TEST_CASE(
    "with positional encoding none an encoder is permutation-equivariant, with every other it is "
    "not") {
  // "I love NLP" vs "NLP love I": the same multiset of tokens in another order. Not a
  // reversal: a bias on |i - j| (alibi, t5_bias in an encoder) is blind to that one.
  const std::vector<int> moved_from = {2, 0, 3,
                                       1};  // position i of b holds token moved_from[i] of a
  const TokenBatch forward_order = batch_of(1, 4, {1, 2, 3, 4});
  const TokenBatch reversed = batch_of(1, 4, {3, 1, 4, 2});
  for (const std::string& kind : positional_registry().names()) {
    INFO("positional " << kind);
    TransformerConfig c = testing::tiny_config();
    c.positional = {kind, {}};
    Rng rng(5);
    EncoderClassifier model(c, ClassifierHead::token, rng);
    const Tensor out_a = model.forward(forward_order);  // [1, 4, C]
    const auto a = out_a.to_vector();
    const auto b = model.forward(reversed).to_vector();
    const int64_t classes = out_a.size(2);
    double largest_difference = 0.0;
    for (int i = 0; i < 4; ++i)
      for (int64_t k = 0; k < classes; ++k)
        largest_difference = std::max<double>(
            largest_difference, std::abs(a[moved_from[i] * classes + k] - b[i * classes + k]));
    if (kind == "none")
      REQUIRE(largest_difference < 1e-5);
    else
      REQUIRE(largest_difference > 1e-3);
  }
}

TEST_CASE("under the causal mask, later tokens never change earlier outputs") {
  TransformerConfig c = testing::tiny_config();
  Rng rng(6);
  DecoderLM lm(c, rng);
  EncoderDecoder seq2seq(c, rng);
  const TokenBatch source = batch_of(1, 4, {1, 2, 3, 4});
  const TokenBatch original = batch_of(1, 5, {1, 2, 3, 4, 5});
  for (int64_t i = 0; i < 4; ++i) {
    TokenBatch changed = original;
    for (int64_t j = i + 1; j < 5; ++j)
      changed.ids[j] = static_cast<int32_t>((changed.ids[j] + 3) % 6);
    for (int which = 0; which < 2; ++which) {
      const Tensor a = which == 0 ? lm.forward(original) : seq2seq.forward(source, original);
      const Tensor b = which == 0 ? lm.forward(changed) : seq2seq.forward(source, changed);
      const int64_t vocab = a.size(-1);
      for (int64_t k = 0; k < (i + 1) * vocab; ++k) REQUIRE(a.data()[k] == b.data()[k]);
      bool later_differs = false;
      for (int64_t k = (i + 1) * vocab; k < a.numel(); ++k)
        later_differs |= a.data()[k] != b.data()[k];
      REQUIRE(later_differs);
    }
  }
}

TEST_CASE("padded positions change nothing at valid positions") {
  TransformerConfig c = testing::tiny_config();
  Rng rng(7);
  EncoderClassifier model(c, ClassifierHead::token, rng);
  const Tensor a = model.forward(batch_of(1, 4, {1, 2, 0, 0}, {2}));
  const Tensor b = model.forward(batch_of(1, 4, {1, 2, 5, 6}, {2}));
  for (int64_t k = 0; k < 2 * 3; ++k) REQUIRE(a.data()[k] == Approx(b.data()[k]).margin(1e-6));
}

TEST_CASE("with memory: mean, cross-attention reads one key, the mean of the valid source states") {
  TransformerConfig c = testing::tiny_config();
  c.memory = MemoryAccess::mean;
  Rng rng(8);
  EncoderDecoder model(c, rng);
  const TokenBatch target = batch_of(1, 3, {0, 1, 2});
  testing::ActivationLog log;
  const Tensor padded =
      model.forward(batch_of(1, 4, {1, 2, 0, 0}, {2}), target, {.observer = &log});
  REQUIRE(log.at("decoder.layers.0.cross_attn.weights").shape() == Shape{1, c.heads, 3, 1});
  for (const float w : log.at("decoder.layers.0.cross_attn.weights").to_vector())
    REQUIRE(w == 1.0f);
  // Padding is left out of the mean: the same as the two valid tokens alone.
  const Tensor short_source = model.forward(batch_of(1, 2, {1, 2}), target);
  for (int64_t k = 0; k < padded.numel(); ++k)
    REQUIRE(padded.data()[k] == Approx(short_source.data()[k]).margin(1e-5));
  // Gradients reach every encoder parameter through the mean; generation works as trained.
  const TokenBatch source = batch_of(2, 4, {1, 2, 3, 4, 5, 6, 0, 0}, {4, 2});
  const TokenBatch tgt = batch_of(2, 3, {0, 1, 2, 3, 4, 5});
  require_model_gradients(model, [&] { return model.forward(source, tgt); });
  const Generation g = model.generate(batch_of(1, 2, {1, 2}), 0, 3);
  REQUIRE(g.tokens.length == 4);  // the start token and 3 generated
}

TEST_CASE("cached generation equals recomputing the whole prefix") {
  for (NormPlacement norm : {NormPlacement::pre, NormPlacement::post}) {
    TransformerConfig c = testing::tiny_config();
    c.norm = norm;
    Rng rng(8);
    DecoderLM lm(c, rng);
    const TokenBatch prompt = batch_of(2, 3, {1, 2, 3, 4, 5, 6});
    const Generation cached = lm.generate(prompt, 6, true);
    const Generation full = lm.generate(prompt, 6, false);
    REQUIRE(cached.tokens.ids == full.tokens.ids);
    REQUIRE(cached.logits.shape() == Shape{2, 6, 7});
    for (int64_t k = 0; k < cached.logits.numel(); ++k)
      REQUIRE(cached.logits.data()[k] == Approx(full.logits.data()[k]).margin(1e-5));

    EncoderDecoder seq2seq(c, rng);
    const TokenBatch source = batch_of(2, 4, {1, 2, 3, 4, 4, 3, 0, 0}, {4, 2});
    const Generation a = seq2seq.generate(source, 0, 5, true);
    const Generation b = seq2seq.generate(source, 0, 5, false);
    REQUIRE(a.tokens.ids == b.tokens.ids);
    for (int64_t k = 0; k < a.logits.numel(); ++k)
      REQUIRE(a.logits.data()[k] == Approx(b.logits.data()[k]).margin(1e-5));
  }
}

TEST_CASE("parameters carry stable dotted names") {
  TransformerConfig c = testing::tiny_config();
  c.decoder_layers = 1;
  Rng rng(9);
  EncoderDecoder model(c, rng);
  std::vector<std::string> names;
  for (auto& [name, p] : model.named_parameters()) names.push_back(name);
  const std::vector<std::string> expected_some = {"encoder.embed.tokens.weight",
                                                  "encoder.layers.0.self_attn.q_proj.weight",
                                                  "encoder.layers.1.ffn.linear2.bias",
                                                  "encoder.final_norm.weight",
                                                  "decoder.layers.0.cross_attn.v_proj.bias",
                                                  "decoder.layers.0.cross_attn_norm.weight",
                                                  "lm_head.weight"};
  for (const auto& name : expected_some)
    REQUIRE(std::find(names.begin(), names.end(), name) != names.end());
  const auto params = model.named_parameters();
  const auto q = std::find_if(params.begin(), params.end(), [](auto& p) {
    return p.first == "encoder.layers.0.self_attn.q_proj.weight";
  });
  REQUIRE(q->second.shape() == Shape{8, 8});
  const auto head = std::find_if(params.begin(), params.end(),
                                 [](auto& p) { return p.first == "lm_head.weight"; });
  REQUIRE(head->second.shape() == Shape{6, 8});  // (out_features, in_features) as nn.Linear
}

TEST_CASE("an attention-only block (ffn 0) has no feed-forward sublayer and still trains") {
  TransformerConfig c = testing::tiny_config();
  c.ffn_dim = 0;
  c.decoder_layers = 2;
  Rng rng(12);
  DecoderLM model(c, rng);
  for (auto& [name, p] : model.named_parameters()) {
    INFO(name);
    REQUIRE(name.find(".ffn") == std::string::npos);
  }
  TransformerConfig with_ffn = testing::tiny_config();
  with_ffn.decoder_layers = 2;
  Rng same(12);
  DecoderLM full(with_ffn, same);
  // Each block loses linear1, linear2 and ffn_norm: 2 * (2 * D * F + F + D + 2 * D).
  const auto count = [](const Module& m) {
    int64_t n = 0;
    for (const Tensor& p : m.parameters()) n += p.numel();
    return n;
  };
  const int64_t d = c.d_model, f = with_ffn.ffn_dim;
  REQUIRE(count(full) - count(model) == 2 * (2 * d * f + f + d + 2 * d));
  const TokenBatch tokens = batch_of(2, 3, {0, 1, 2, 3, 4, 5});
  require_model_gradients(model, [&] { return model.forward(tokens); });
  c.ffn_dim = -1;
  REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("model.ffn must be >= 0"));
}

TEST_CASE("a key/value cache made for another depth is refused") {
  TransformerConfig c = testing::tiny_config();
  c.decoder_layers = 1;
  Rng rng(10);
  const Decoder decoder(c, c.vocab_size, false, rng);
  Decoder::Cache cache;
  cache.layers.resize(3);
  REQUIRE_THROWS_AS(decoder.forward(batch_of(1, 2, {1, 2}), {}, {}, {}, &cache), ShapeError);
}

TEST_CASE("without the causal mask a decoder's earlier outputs read later tokens") {
  TransformerConfig c = testing::tiny_config();
  c.decoder_mask = DecoderMask::none;
  Rng rng(6);
  const DecoderLM lm(c, rng);
  const TokenBatch original = batch_of(1, 5, {1, 2, 3, 4, 5});
  TokenBatch changed = original;
  changed.ids[4] = 0;  // only the last token
  const Tensor a = lm.forward(original), b = lm.forward(changed);
  REQUIRE(a.data()[0] != b.data()[0]);  // position 0 now sees position 4
}

TEST_CASE("free-running answers are the greedy continuation of each prompt, at the scored places") {
  TransformerConfig c = testing::tiny_config();
  const auto task = task_registry().create("copy", {{"symbols", "4"}, {"length", "3"}}, {});
  c = configure_for_task(c, *task, ModelShape::decoder, {3},
                         task_registry().find("copy").capabilities);
  Rng init(2), data(4);
  const TaskModel model(ModelShape::decoder, c, init);
  const TaskBatch batch = task->sample(ModelShape::decoder, 2, 3, data);  // x x x SEP y y
  const std::vector<int32_t> answers = model.generate_answers(batch);
  REQUIRE(answers.size() == batch.targets.size());
  // The prompt is x x x SEP (up to the first scored position), continued by 3 tokens.
  TokenBatch prompt{2, 4, std::vector<int32_t>(8), {}};
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t t = 0; t < 4; ++t) prompt.ids[r * 4 + t] = batch.target_input.ids[r * 6 + t];
  const Generation g = static_cast<const DecoderLM&>(model.module()).generate(prompt, 3);
  // Fed back: the whole generated sequence, run once, argmaxes to its own next tokens.
  TaskBatch completed;
  completed.target_input = g.tokens;
  const Tensor logits = model.forward(completed);  // [2, 7, V]
  const int64_t vocab = logits.size(-1);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t t = 0; t < 6; ++t) {
      const int32_t answer = answers[r * 6 + t];
      if (t < 3) {
        REQUIRE(answer == kIgnoreTarget);
        continue;
      }
      REQUIRE(answer == g.tokens.ids[r * 7 + t + 1]);  // position t predicts token t + 1
      const float* row = logits.data() + (r * 7 + t) * vocab;
      REQUIRE(std::max_element(row, row + vocab) - row == answer);
    }
  // No free-running form: an encoder, or padded rows.
  const TaskModel encoder(ModelShape::encoder, c, init);
  REQUIRE(encoder.generate_answers(task->sample(ModelShape::encoder, 2, 3, data)).empty());
  TaskBatch padded = batch;
  padded.target_input.lengths = {6, 5};
  REQUIRE(model.generate_answers(padded).empty());
}

TEST_CASE("free-running answers of rows of different lengths are what each row gives alone") {
  // variable_length: answers start at different places (decoder) and sources are
  // padded (encoder-decoder); generating the batch at once must equal row by row.
  const auto task = task_registry().create(
      "variable_length", {{"symbols", "4"}, {"length", "5"}, {"min_length", "1"}}, {});
  for (const ModelShape shape : {ModelShape::decoder, ModelShape::encoder_decoder}) {
    INFO(to_string(shape));
    TransformerConfig c = testing::tiny_config();
    c = configure_for_task(c, *task, shape, {5},
                           task_registry().find("variable_length").capabilities);
    Rng init(3), data(9);
    const TaskModel model(shape, c, init);
    const TaskBatch batch = task->sample(shape, 6, 5, data);
    const std::vector<int32_t> together = model.generate_answers(batch);
    REQUIRE(together.size() == batch.targets.size());
    const int64_t width = batch.target_input.length;
    for (int64_t r = 0; r < 6; ++r) {
      TaskBatch one;
      one.target_input = {1,
                          width,
                          {batch.target_input.ids.begin() + r * width,
                           batch.target_input.ids.begin() + (r + 1) * width},
                          {}};
      one.targets = {batch.targets.begin() + r * width, batch.targets.begin() + (r + 1) * width};
      if (shape == ModelShape::encoder_decoder)
        one.source = {1,
                      batch.source.length,
                      {batch.source.ids.begin() + r * batch.source.length,
                       batch.source.ids.begin() + (r + 1) * batch.source.length},
                      {batch.source.lengths[r]}};
      const std::vector<int32_t> alone = model.generate_answers(one);
      for (int64_t t = 0; t < width; ++t) {
        REQUIRE(alone[t] == together[r * width + t]);
        REQUIRE((alone[t] == kIgnoreTarget) == (one.targets[t] == kIgnoreTarget));
      }
      if (shape != ModelShape::encoder_decoder) continue;
      // The same as decoding the unpadded source from the start token: padding is masked,
      // and answer t is generated token t + 1.
      const int32_t n = batch.source.lengths[r];
      const TokenBatch trimmed{1, n, {one.source.ids.begin(), one.source.ids.begin() + n}, {}};
      const Generation g = static_cast<const EncoderDecoder&>(model.module())
                               .generate(trimmed, one.target_input.ids[0], n);
      for (int64_t t = 0; t < n; ++t) REQUIRE(together[r * width + t] == g.tokens.ids[t + 1]);
    }
  }
}

TEST_CASE("every model records its logits as it returns them, and each stack its output") {
  const TransformerConfig c = testing::tiny_config();
  Rng rng(9);
  const TokenBatch source = batch_of(2, 4, {1, 2, 3, 4, 5, 6, 0, 0}, {4, 2});
  const TokenBatch target = batch_of(2, 3, {0, 1, 2, 3, 4, 5});
  const auto require_recorded = [](const testing::ActivationLog& log, const Tensor& logits,
                                   const std::vector<std::string>& stacks) {
    REQUIRE(log.at(kLogitsName).to_vector() == logits.to_vector());
    REQUIRE(log.dimension_names.at(kLogitsName).back() == dims::output);
    for (const std::string& stack : stacks)
      REQUIRE(log.at(stack + "." + kStackOutputName).size(-1) == testing::tiny_config().d_model);
  };
  testing::ActivationLog decoder_log, pair_log, token_log, sequence_log;
  const DecoderLM decoder(c, rng);
  require_recorded(decoder_log, decoder.forward(target, {.observer = &decoder_log}), {"decoder"});
  const EncoderDecoder pair(c, rng);
  require_recorded(pair_log, pair.forward(source, target, {.observer = &pair_log}),
                   {"encoder", "decoder"});
  const EncoderClassifier per_token(c, ClassifierHead::token, rng);
  require_recorded(token_log, per_token.forward(source, {.observer = &token_log}), {"encoder"});
  const EncoderClassifier per_sequence(c, ClassifierHead::sequence, rng);
  const Tensor classes = per_sequence.forward(source, {.observer = &sequence_log});
  require_recorded(sequence_log, classes, {"encoder"});
  REQUIRE(classes.rank() == 2);  // [example, output]: no position axis
}
