// Components that each break one promise, but only outside the one small shape
// the conformance kit used to check (batch 2, 2 heads, 5 queries, 7 keys,
// width 4; extrapolation at exactly 2 x max_length; task batches at the
// training length only): the bugs real plugins have. shape_bugs.sh runs
// `attnlab check-plugin` on this library and expects each to fail the check
// of its promise, shrunk to the smallest case that shows it.
#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <cmath>
#include <limits>
#include <random>

namespace {

using namespace attnlab;

constexpr float kInfinity = std::numeric_limits<float>::infinity();

AttentionResult softmax_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                  const AttentionMask& mask, const Tensor& bias) {
  return scaled_dot_product_attention(q, k, v, mask, bias);
}

// Bias [h, T, S] with `value` where blocked(query position, key) and 0 elsewhere
// (the queries are the last T of the S keys).
template <class Blocked>
Tensor bias_where(int64_t heads, int64_t queries, int64_t keys, float value, Blocked blocked) {
  Tensor bias = Tensor::zeros({heads, queries, keys});
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        if (blocked(keys - queries + i, j)) bias.data()[(h * queries + i) * keys + j] = value;
  return bias;
}

// The causal mask holds for the first 8 positions only: from position 8 on a
// query sees every key.
class LateCausalLeak final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    if (!mask.causal) return softmax_attention(q, k, v, mask, bias);
    AttentionMask unmasked = mask;
    unmasked.causal = false;
    Tensor causal_early =
        bias_where(q.size(1), q.size(2), k.size(2), -kInfinity,
                   [](int64_t position, int64_t key) { return position < 8 && key > position; });
    if (bias.defined()) causal_early = ops::add(causal_early, bias);
    return softmax_attention(q, k, v, unmasked, causal_early);
  }
};

// From 4 heads on, every head's output takes in half of head 0's.
class WideHeadMixing final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = softmax_attention(q, k, v, mask, bias);
    if (q.size(1) < 4) return r;
    r.output = ops::add(r.output, ops::scale(ops::slice(r.output, 1, 0, 1), 0.5f));
    return {r.output, Tensor(), Tensor()};
  }
};

// Past 32 keys the output overflows (a normaliser computed as a product).
class LongOverflow final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = softmax_attention(q, k, v, mask, bias);
    if (k.size(2) > 32) r.output = ops::scale(ops::scale(r.output, 1e30f), 1e30f);
    return {r.output, Tensor(), Tensor()};
  }
};

// From 3 items on, each item's output takes in a little of the first item's.
class BatchCoupled final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = softmax_attention(q, k, v, mask, bias);
    if (q.size(0) < 3) return r;
    const Tensor first = ops::slice(r.output, 0, 0, 1);  // [1, h, T, d]
    return {ops::add(r.output, ops::scale(first, 1e-3f)), Tensor(), Tensor()};
  }
};

// Its output scale is drawn from the machine's entropy, not from the seed it is
// given, once heads are wider than 4: two builds with one seed differ.
class UnseededScale final : public AttentionVariant {
 public:
  UnseededScale(int64_t width, Rng& rng) {
    if (width <= 4) {
      scale_ = add_parameter("scale", init::uniform({1}, 1.0f, rng));
      return;
    }
    std::random_device entropy;
    std::mt19937_64 unseeded(entropy());
    scale_ = add_parameter("scale", init::uniform({1}, 1.0f, unseeded));
  }
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = softmax_attention(q, k, v, mask, bias);
    return {ops::mul(r.output, scale_), Tensor(), Tensor()};
  }

 private:
  Tensor scale_;
};

// From 3 heads on, the keys are cut from the graph: right values, wrong gradients.
class WideDetachedKeys final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    return softmax_attention(q, q.size(1) >= 3 ? k.detach() : k, v, mask, bias);
  }
};

// Past 16 keys the score bias is dropped.
class ShortBiasOnly final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    return softmax_attention(q, k, v, mask, k.size(2) > 16 ? Tensor() : bias);
  }
};

// Key lengths are honoured for the first two items of a batch only.
class FirstItemsPadding final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionMask first_two = mask;
    for (std::size_t item = 2; item < first_two.key_lengths.size(); ++item)
      first_two.key_lengths[item] = static_cast<int32_t>(k.size(2));
    return softmax_attention(q, k, v, first_two, bias);
  }
};

template <class Variant>
Registry<AttentionVariant>::Entry variant(const char* name, const char* bug) {
  return {
      .name = name,
      .description = bug,
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = false,
                       .score_bias = true,
                       .head_gating = true},
      .factory = [](const Parameters&,
                    const AttentionVariant::BuildContext& c) -> std::unique_ptr<AttentionVariant> {
        if constexpr (std::is_constructible_v<Variant, int64_t, Rng&>)
          return std::make_unique<Variant>(c.head_width, c.rng);
        else
          return std::make_unique<Variant>();
      }};
}

// An ALiBi-like bias that turns NaN past 2 x max_length.
class FarNanBias final : public PositionalEncoding {
 public:
  FarNanBias(int64_t heads, int64_t max_length) : heads_(heads), max_length_(max_length) {}
  Tensor score_bias(int64_t queries, int64_t keys, bool) const override {
    const float far = keys > 2 * max_length_ ? std::nanf("") : 0.0f;
    Tensor bias = Tensor::zeros({heads_, queries, keys});
    float* out = bias.data();
    for (int64_t h = 0; h < heads_; ++h)
      for (int64_t i = 0; i < queries; ++i)
        for (int64_t j = 0; j < keys; ++j)
          *out++ = -0.1f * std::abs(static_cast<float>(keys - queries + i - j)) + far;
    return bias;
  }

 private:
  int64_t heads_, max_length_;
};

// Sinusoidal embeddings whose positions stop counting past 16 after an offset
// (a cache): positions [offset, offset + length) are computed from
// min(offset, 16).
class OffsetDrift final : public PositionalEncoding {
 public:
  explicit OffsetDrift(int64_t d_model) : d_model_(d_model) {}
  Tensor embedding_term(int64_t offset, int64_t length) const override {
    return sinusoidal_table(std::min<int64_t>(offset, 16), length, d_model_);
  }

 private:
  int64_t d_model_;
};

// From 6 heads on, key/value heads that do not divide the query heads.
class GroupMismatch final : public HeadLayout {
 public:
  explicit GroupMismatch(HeadLayout::BuildContext c) : c_(c) {}
  HeadDimensions dimensions() const override {
    const int64_t width = c_.d_model / c_.heads;
    return {c_.heads, c_.heads >= 6 ? c_.heads - 1 : c_.heads, width};
  }

 private:
  HeadLayout::BuildContext c_;
};

// Next-token prediction of random tokens 1 .. 5 after a 0; past twice its
// training length the last token is 6, outside its vocabulary of 6.
class LongVocabulary final : public Task {
 public:
  explicit LongVocabulary(int64_t length) : length_(length) {}
  int64_t vocab_size() const override { return 6; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }
  TaskBatch sample(ModelShape, int64_t batch, int64_t length, Rng& rng) const override {
    TaskBatch out;
    out.target_input = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> sequence{0};
      for (int64_t i = 0; i < length; ++i) sequence.push_back(uniform_token(rng, 5, 1));
      if (length > 2 * length_) sequence.back() = 6;
      append_next_token_row(out, sequence, std::vector<bool>(sequence.size(), true));
    }
    return out;
  }

 private:
  int64_t length_;
};

void register_shape_bugs(PluginRegistrar& registrar) {
  registrar.add_attention(
      variant<LateCausalLeak>("bug_late_causal_leak", "the causal mask leaks from position 8 on"));
  registrar.add_attention(
      variant<WideHeadMixing>("bug_wide_head_mixing", "heads mix from 4 heads on"));
  registrar.add_attention(
      variant<LongOverflow>("bug_long_overflow", "the output overflows past 32 keys"));
  registrar.add_attention(variant<BatchCoupled>(
      "bug_batch_coupled", "an item's output depends on the others from 3 items on"));
  registrar.add_attention(variant<UnseededScale>(
      "bug_unseeded", "a parameter drawn without the seed for heads wider than 4"));
  registrar.add_attention(variant<WideDetachedKeys>(
      "bug_wide_detached_keys", "no gradient reaches the keys from 3 heads on"));
  registrar.add_attention(
      variant<ShortBiasOnly>("bug_short_bias_only", "the score bias is dropped past 16 keys"));
  registrar.add_attention(variant<FirstItemsPadding>(
      "bug_first_items_padding", "key lengths honoured for the first two items only"));
  registrar.add_positional(
      {.name = "bug_far_nan",
       .description = "a distance bias that turns NaN past 2 x max_length",
       .parameters = {},
       .capabilities = {.score_bias = true, .extrapolates = true},
       .factory = [](const Parameters&, const PositionalEncoding::BuildContext& c)
           -> std::unique_ptr<PositionalEncoding> {
         return std::make_unique<FarNanBias>(c.heads, c.max_length);
       }});
  registrar.add_positional(
      {.name = "bug_offset_drift",
       .description = "sinusoidal positions that stop counting past an offset of 16",
       .parameters = {},
       .capabilities = {.embeddings = true},
       .factory = [](const Parameters&, const PositionalEncoding::BuildContext& c)
           -> std::unique_ptr<PositionalEncoding> {
         if (c.d_model % 2 != 0)
           throw ConfigError("bug_offset_drift: sinusoidal positions need an even d_model");
         return std::make_unique<OffsetDrift>(c.d_model);
       }});
  registrar.add_head_layout(
      {.name = "bug_group_mismatch",
       .description = "key/value heads that do not divide the query heads from 6 heads on",
       .parameters = {},
       .capabilities = {},
       .factory = [](const Parameters&,
                     const HeadLayout::BuildContext& c) -> std::unique_ptr<HeadLayout> {
         if (c.d_model % c.heads != 0)
           throw ConfigError("bug_group_mismatch: heads must divide d_model");
         return std::make_unique<GroupMismatch>(c);
       }});
  registrar.add_task(
      {.name = "bug_long_vocabulary",
       .description = "a token outside the vocabulary past twice the length",
       .parameters = {{"length", ParameterType::integer, "6", "tokens", at_least(1)}},
       .capabilities = {.decoder = true},
       .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
         return std::make_unique<LongVocabulary>(p.integer("length"));
       }});
}

}  // namespace

ATTNLAB_PLUGIN(register_shape_bugs)
