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

// Bias [h, T, S]: value(head, |query - key|) for queries and keys at their positions.
template <class Value>
Tensor distance_bias(int64_t heads, Positions queries, Positions keys, Value value) {
  const auto rows = static_cast<int64_t>(queries.size()),
             columns = static_cast<int64_t>(keys.size());
  Tensor bias = Tensor::zeros({heads, rows, columns});
  float* out = bias.data();
  for (int64_t h = 0; h < heads; ++h)
    for (const int64_t i : queries)
      for (const int64_t j : keys) *out++ = value(h, std::abs(i - j));
  return bias;
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

// Softmax attention whose output becomes Twist{}(output) once Beyond{}(q, k)
// holds: right inside the kit's old single shape, wrong past it.
template <class Beyond, class Twist>
class TwistedSoftmax final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = softmax_attention(q, k, v, mask, bias);
    if (!Beyond{}(q, k)) return r;
    return {Twist{}(r.output), Tensor(), Tensor()};
  }
};

// From 4 heads on, every head's output takes in half of head 0's.
struct FromFourHeads {
  bool operator()(const Tensor& q, const Tensor&) const { return q.size(1) >= 4; }
};
struct AddHalfOfHeadZero {
  Tensor operator()(const Tensor& out) const {
    return ops::add(out, ops::scale(ops::slice(out, 1, 0, 1), 0.5f));
  }
};
using WideHeadMixing = TwistedSoftmax<FromFourHeads, AddHalfOfHeadZero>;

// Past 32 keys the output overflows (a normaliser computed as a product).
struct PastThirtyTwoKeys {
  bool operator()(const Tensor&, const Tensor& k) const { return k.size(2) > 32; }
};
struct Overflow {
  Tensor operator()(const Tensor& out) const { return ops::scale(ops::scale(out, 1e30f), 1e30f); }
};
using LongOverflow = TwistedSoftmax<PastThirtyTwoKeys, Overflow>;

// From 3 items on, each item's output takes in a little of the first item's.
struct FromThreeItems {
  bool operator()(const Tensor& q, const Tensor&) const { return q.size(0) >= 3; }
};
struct AddSomeOfItemZero {
  Tensor operator()(const Tensor& out) const {
    return ops::add(out, ops::scale(ops::slice(out, 0, 0, 1), 1e-3f));  // [1, h, T, d] broadcast
  }
};
using BatchCoupled = TwistedSoftmax<FromThreeItems, AddSomeOfItemZero>;

// From 7 heads on, only the first 6 heads' outputs are returned.
struct FromSevenHeads {
  bool operator()(const Tensor& q, const Tensor&) const { return q.size(1) >= 7; }
};
struct FirstSixHeads {
  Tensor operator()(const Tensor& out) const { return ops::slice(out, 1, 0, 6); }
};
using WideOutputCut = TwistedSoftmax<FromSevenHeads, FirstSixHeads>;

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
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
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
  explicit FarNanBias(const BuildContext& c) : heads_(c.heads), max_length_(c.max_length) {}
  Tensor score_bias(Positions queries, Positions keys, bool) const override {
    const auto far = static_cast<int64_t>(keys.size()) > 2 * max_length_ ? std::nanf("") : 0.0f;
    return distance_bias(heads_, queries, keys, [&](int64_t, int64_t distance) {
      return -0.1f * static_cast<float>(distance) + far;
    });
  }

 private:
  int64_t heads_, max_length_;
};

// Sinusoidal embeddings whose positions stop counting past 16 after an offset
// (a cache): the first position is taken as min(first, 16).
class OffsetDrift final : public PositionalEncoding {
 public:
  explicit OffsetDrift(const BuildContext& c) : d_model_(c.d_model) {}
  Tensor embedding_term(Positions positions) const override {
    std::vector<int64_t> drifted;
    for (const int64_t p : positions)
      drifted.push_back(p - positions.front() + std::min<int64_t>(positions.front(), 16));
    return sinusoidal_table(drifted, d_model_);
  }

 private:
  int64_t d_model_;
};

// Sinusoidal embeddings that count from the first position, ignoring gaps (as
// an encoding written for an offset and a length would): right for
// consecutive positions, wrong for randomized ones.
class IgnoresGaps final : public PositionalEncoding {
 public:
  explicit IgnoresGaps(const BuildContext& c) : d_model_(c.d_model) {}
  Tensor embedding_term(Positions positions) const override {
    return sinusoidal_table(
        consecutive_positions(positions.front(), static_cast<int64_t>(positions.size())), d_model_);
  }

 private:
  int64_t d_model_;
};

// A distance bias of shape [1, T, S] instead of [h, T, S] from 5 heads on.
class WideBiasShape final : public PositionalEncoding {
 public:
  explicit WideBiasShape(const BuildContext& c) : heads_(c.heads) {}
  Tensor score_bias(Positions queries, Positions keys, bool) const override {
    return distance_bias(heads_ >= 5 ? 1 : heads_, queries, keys, [](int64_t, int64_t distance) {
      return -0.1f * static_cast<float>(distance);
    });
  }

 private:
  int64_t heads_;
};

// Declares a score bias only, but from 20 positions on also adds an
// embedding term.
class LateEmbedding final : public PositionalEncoding {
 public:
  explicit LateEmbedding(const BuildContext& c) : heads_(c.heads), d_model_(c.d_model) {}
  Tensor embedding_term(Positions positions) const override {
    return positions.size() >= 20 ? sinusoidal_table(positions, d_model_) : Tensor();
  }
  Tensor score_bias(Positions queries, Positions keys, bool) const override {
    return distance_bias(heads_, queries, keys, [](int64_t, int64_t distance) {
      return -0.1f * static_cast<float>(distance);
    });
  }

 private:
  int64_t heads_, d_model_;
};

// A learned slope per head whose gradient stops at distances past 4: the far
// entries are computed from a copy of the slope that is not a parameter.
class FarDetachedSlope final : public PositionalEncoding {
 public:
  explicit FarDetachedSlope(const BuildContext& c) {
    slope_ = add_parameter("slope", init::uniform({c.heads, 1, 1}, 1.0f, c.rng));
  }
  Tensor score_bias(Positions queries, Positions keys, bool) const override {
    const auto heads = slope_.size(0);
    const Tensor near = distance_bias(1, queries, keys, [](int64_t, int64_t distance) {
      return distance <= 4 ? -static_cast<float>(distance) : 0.0f;
    });
    const Tensor far = distance_bias(1, queries, keys, [](int64_t, int64_t distance) {
      return distance > 4 ? -static_cast<float>(distance) : 0.0f;
    });
    Tensor copy = Tensor::zeros({heads, 1, 1});  // the slope's values, cut from the graph
    for (int64_t h = 0; h < heads; ++h) copy.data()[h] = slope_.data()[h];
    return ops::add(ops::mul(slope_, near), ops::mul(copy, far));  // [h, T, S]
  }

 private:
  Tensor slope_;
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

// Next-token prediction over `symbols` symbols after a 0; with more than 8
// symbols (a setting, not the default 4) the last token is one past the
// vocabulary.
class SettingOffByOne final : public Task {
 public:
  explicit SettingOffByOne(int64_t symbols) : symbols_(symbols) {}
  int64_t vocab_size() const override { return symbols_ + 1; }
  int64_t length() const override { return 6; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }
  TaskBatch sample(ModelShape, int64_t batch, int64_t length, Rng& rng) const override {
    TaskBatch out;
    out.target_input = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> sequence{0};
      for (int64_t i = 0; i < length; ++i) sequence.push_back(uniform_token(rng, symbols_, 1));
      if (symbols_ > 8) sequence.back() = static_cast<int32_t>(symbols_ + 1);
      append_next_token_row(out, sequence, std::vector<bool>(sequence.size(), true));
    }
    return out;
  }

 private:
  int64_t symbols_;
};

// A positional encoding built from its build context; `even_d_model`: it uses
// sinusoidal features, so it refuses an odd d_model.
template <class Encoding>
Registry<PositionalEncoding>::Entry encoding(std::string name, std::string description,
                                             PositionalEncoding::Capabilities capabilities,
                                             bool even_d_model) {
  return {.name = std::move(name),
          .description = std::move(description),
          .parameters = {},
          .capabilities = capabilities,
          .factory = [even_d_model](const Parameters&, const PositionalEncoding::BuildContext& c)
              -> std::unique_ptr<PositionalEncoding> {
            if (even_d_model && c.d_model % 2 != 0)
              throw ConfigError("sinusoidal positions need an even d_model");
            return std::make_unique<Encoding>(c);
          }};
}

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
  registrar.add_attention(
      variant<WideOutputCut>("bug_wide_output_cut", "only 6 heads' outputs from 7 heads on"));
  registrar.add_attention(variant<FirstItemsPadding>(
      "bug_first_items_padding", "key lengths honoured for the first two items only"));
  registrar.add_positional(
      encoding<FarNanBias>("bug_far_nan", "a distance bias that turns NaN past 2 x max_length",
                           {.score_bias = true, .extrapolates = true}, false));
  registrar.add_positional(encoding<OffsetDrift>(
      "bug_offset_drift", "sinusoidal positions that stop counting past an offset of 16",
      {.embeddings = true}, true));
  registrar.add_positional(encoding<IgnoresGaps>(
      "bug_ignores_gaps", "sinusoidal positions counted from the first, ignoring gaps",
      {.embeddings = true}, true));
  registrar.add_positional(encoding<WideBiasShape>(
      "bug_wide_bias_shape", "a score bias of shape [1, T, S] from 5 heads on",
      {.score_bias = true, .extrapolates = true}, false));
  registrar.add_positional(encoding<LateEmbedding>(
      "bug_late_embedding", "declares a score bias only, but embeds too from 20 positions on",
      {.score_bias = true, .extrapolates = true}, true));
  registrar.add_positional(encoding<FarDetachedSlope>(
      "bug_far_detached_slope", "no gradient reaches the slope from distances past 4",
      {.score_bias = true, .extrapolates = true}, false));
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
  registrar.add_task(
      {.name = "bug_setting_off_by_one",
       .description = "a token outside the vocabulary with more than 8 symbols",
       .parameters = {{"symbols", ParameterType::integer, "4", "symbols", in_range(2, 16)}},
       .capabilities = {.decoder = true},
       .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
         return std::make_unique<SettingOffByOne>(p.integer("symbols"));
       }});
}

}  // namespace

ATTNLAB_PLUGIN(register_shape_bugs)
