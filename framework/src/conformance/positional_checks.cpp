// Conformance of a positional encoding: it acts exactly through the channels
// it declares, at every head count, width and length; each token's term
// depends on its own position only, so positions after an offset (a key/value
// cache) or with gaps (randomized positions) give the rows of the whole
// sequence; it is differentiable; and it is defined out to 4 x max_length when
// it claims to extrapolate.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "attnlab/conformance/gradient_check.hpp"
#include "attnlab/error.hpp"
#include "attnlab/model/models.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "check_support.hpp"
#include "parameter_settings.hpp"

namespace attnlab::conformance {
namespace {

using Capabilities = PositionalEncoding::Capabilities;

struct Subject {
  const Registry<PositionalEncoding>::Entry& entry;
  int64_t max_length;  // the longest sequence the encoding is built for
  std::vector<ParameterSetting> settings = parameter_settings(entry.parameters);

  // The encoding for the case's heads, head width and parameter setting (a
  // ConfigError refuses the case: rotary refuses odd widths, saying so), its
  // parameters moved off their initial values.
  std::unique_ptr<PositionalEncoding> build(const AttentionShape& s) const {
    Rng rng(3);
    auto encoding = built(
        positional_registry().create(entry.name, settings[static_cast<std::size_t>(s.setting)],
                                     {.d_model = s.heads * s.width,
                                      .heads = s.heads,
                                      .head_width = s.width,
                                      .max_length = max_length,
                                      .rng = rng}));
    perturb_parameters(*encoding);
    return encoding;
  }
};

// What each channel gives for queries q [1, h, T, d] at query_positions over
// keys k [1, h, S, d] at key_positions (the embedding term: at the keys'; the
// score bias of causal and of bidirectional attention).
struct Channels {
  Tensor embedding, bias, bidirectional_bias, rotated_q, rotated_k;
};

Channels channels(const PositionalEncoding& encoding, const Tensor& q, Positions query_positions,
                  const Tensor& k, Positions key_positions) {
  auto [rotated_q, rotated_k] = encoding.rotate(q, query_positions, k, key_positions);
  return {encoding.embedding_term(key_positions),
          encoding.score_bias(query_positions, key_positions, true),
          encoding.score_bias(query_positions, key_positions, false), rotated_q, rotated_k};
}

// The queries at the last T of S consecutive key positions from 0.
Channels channels(const PositionalEncoding& encoding, const Tensor& q, const Tensor& k) {
  const std::vector<int64_t> keys = consecutive_positions(0, k.size(2));
  return channels(encoding, q, Positions(keys).last(static_cast<std::size_t>(q.size(2))), k, keys);
}

// The entries at `indices` of axis `axis` of `t`, in order.
Tensor rows(const Tensor& t, int axis, Positions indices) {
  if (!t.defined()) return t;
  std::vector<Tensor> picked;
  for (const int64_t i : indices) picked.push_back(ops::slice(t, axis, i, 1));
  return ops::concat(picked, axis);
}

// max |a - b|, 0 if neither is defined (a channel the encoding does not use).
float channel_difference(const Tensor& a, const Tensor& b) {
  if (!a.defined() && !b.defined()) return 0.0f;
  if (!a.defined() || !b.defined()) return std::numeric_limits<float>::infinity();
  return max_difference(a, b);
}

Tensor per_head(const AttentionShape& s, int64_t length, uint64_t seed) {
  return uniform_tensor({1, s.heads, length, s.width}, seed);
}

std::string declared_channels(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  const Capabilities& claims = subject.entry.capabilities;
  const int64_t length = s.keys;
  const Tensor q = per_head(s, length, 1), k = per_head(s, length, 2);
  const Channels c = channels(*encoding, q, k);
  const bool embeds = c.embedding.defined(), biases = c.bias.defined();
  const bool rotates =
      channel_difference(q, c.rotated_q) > 0.0f || channel_difference(k, c.rotated_k) > 0.0f;
  auto say = [](const char* channel, bool declared, bool acts) {
    return declared == acts ? std::string()
                            : fmt::format("{} is {} but the encoding {}; ", channel,
                                          declared ? "declared" : "not declared",
                                          acts ? "acts there" : "does not act there");
  };
  // Length 1 cannot tell a rotation (position 0 may be the identity) or a bias
  // (a constant bias on one key) from none.
  const bool distinguishable = length >= 2;
  const std::string mismatch =
      say("embeddings", claims.embeddings, embeds) +
      (distinguishable ? say("score_bias", claims.score_bias, biases) : "") +
      (distinguishable ? say("rotates_qk", claims.rotates_qk, rotates) : "");
  require(mismatch.empty(), mismatch);
  const Shape embedding{length, s.heads * s.width}, bias{s.heads, length, length};
  if (embeds)
    require(c.embedding.shape() == embedding,
            fmt::format("the embedding term has shape {}, expected {}",
                        shape_string(c.embedding.shape()), shape_string(embedding)));
  if (biases)
    require(c.bias.shape() == bias, fmt::format("the score bias has shape {}, expected {}",
                                                shape_string(c.bias.shape()), shape_string(bias)));
  for (const auto& [channel, t] : {std::pair{"the embedding term", &c.embedding},
                                   {"the score bias", &c.bias},
                                   {"the bidirectional score bias", &c.bidirectional_bias},
                                   {"the rotated query", &c.rotated_q},
                                   {"the rotated key", &c.rotated_k}})
    require(!t->defined() || all_finite(*t), fmt::format("{} is not finite", channel));
  return "";
}

// The case's stride: batch (1-5: gaps as randomized positions leave), less if
// the last position would reach `end` (max_length, for an encoding that does
// not extrapolate).
int64_t case_stride(const AttentionShape& s, int64_t end) {
  int64_t stride = s.batch;
  while (stride > 1 && s.queries - 1 + stride * (s.keys - 1) >= end) --stride;
  return stride;
}

// The case's positions: o + stride i for i < L, with offset o = queries - 1 and L = keys.
std::vector<int64_t> case_positions(const AttentionShape& s, int64_t end) {
  std::vector<int64_t> positions;
  const int64_t stride = case_stride(s, end);
  for (int64_t i = 0; i < s.keys; ++i) positions.push_back(s.queries - 1 + stride * i);
  return positions;
}

// Where positions must end: max_length, or 4 x max_length (the extrapolation
// promised) for an encoding that extrapolates.
int64_t position_end(const Subject& subject) {
  return subject.entry.capabilities.extrapolates ? 4 * subject.max_length : subject.max_length;
}

std::string positions(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  const int64_t end = position_end(subject), stride = case_stride(s, end);
  const std::vector<int64_t> picked = case_positions(s, end);
  // The whole sequence goes one gap past the last picked position (where there
  // is room), so a term read off the last position passed differs.
  const int64_t total = std::min(end, picked.back() + 1 + stride);
  const Tensor q = per_head(s, total, 1), k = per_head(s, total, 2);
  const Tensor q_picked = rows(q, 2, picked), k_picked = rows(k, 2, picked);
  const std::vector<int64_t> every = consecutive_positions(0, total);
  const Channels whole = channels(*encoding, q, every, k, every);
  const Channels alone = channels(*encoding, q_picked, picked, k_picked, picked);
  // The picked queries over every key (what a cache of the keys before them sees).
  const Channels cached = channels(*encoding, q_picked, picked, k, every);
  const float embedding = channel_difference(rows(whole.embedding, 0, picked), alone.embedding);
  const auto bias_difference = [&](Tensor Channels::*bias) {
    return std::max(channel_difference(rows(rows(whole.*bias, 1, picked), 2, picked), alone.*bias),
                    channel_difference(rows(whole.*bias, 1, picked), cached.*bias));
  };
  const float bias =
      std::max(bias_difference(&Channels::bias), bias_difference(&Channels::bidirectional_bias));
  const float rotated_q = channel_difference(rows(whole.rotated_q, 2, picked), alone.rotated_q);
  const float rotated_k = channel_difference(rows(whole.rotated_k, 2, picked), alone.rotated_k);
  for (const auto& [channel, difference] : {std::pair{"embedding term", embedding},
                                            {"score bias", bias},
                                            {"rotated query", rotated_q},
                                            {"rotated key", rotated_k}})
    require(difference <= 1e-5f,
            fmt::format("the {} at positions {}, {}, ... differs from the same positions of "
                        "[0, {}) by {:.3g} (at most 1e-5)",
                        channel, picked.front(), picked.front() + stride, total, difference));
  return "";
}

std::string extrapolates(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  const Capabilities& claims = subject.entry.capabilities;
  const int64_t length = subject.max_length + 3 * s.keys;  // to 4 x max_length
  const Channels c = channels(*encoding, per_head(s, length, 1), per_head(s, length, 2));
  const auto require_finite = [&](bool declared, const Tensor& t, const char* channel) {
    if (!declared) return;
    require(t.defined() && all_finite(t),
            fmt::format("{} is {} at length {} (max_length {})", channel,
                        t.defined() ? "not finite" : "undefined", length, subject.max_length));
  };
  require_finite(claims.embeddings, c.embedding, "the embedding term");
  require_finite(claims.score_bias, c.bias, "the score bias");
  require_finite(claims.score_bias, c.bidirectional_bias, "the bidirectional score bias");
  require_finite(claims.rotates_qk, c.rotated_q, "the rotated query");
  require_finite(claims.rotates_qk, c.rotated_k, "the rotated key");
  return "";
}

// Every channel the encoding acts through, differentiated with respect to its
// parameters and, for a rotation, q and k: at the encoding itself, where float32
// rounding is small enough for steps that pass between the kinks of a ReLU
// network (fire). attnlab's own tests check gradients through whole models.
std::string gradients(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  Tensor q = per_head(s, s.queries, 1), k = per_head(s, s.keys, 2);
  q.requires_grad();
  k.requires_grad();
  std::vector<GradCheckInput> checked;
  for (auto& [name, tensor] : encoding->named_parameters()) checked.push_back({name, tensor});
  if (subject.entry.capabilities.rotates_qk) {
    checked.push_back({"q", q});
    checked.push_back({"k", k});
  }
  if (checked.empty()) return "";  // nothing to differentiate
  const auto forward = [&] {
    const Channels c = channels(*encoding, q, k);
    std::vector<Tensor> parts;
    for (const Tensor* t :
         {&c.embedding, &c.bias, &c.bidirectional_bias, &c.rotated_q, &c.rotated_k})
      if (t->defined()) parts.push_back(ops::reshape(*t, {t->numel()}));
    return ops::concat(parts, 0);
  };
  require_gradients(forward, checked, {});
  return "";
}

std::string heads_of(const AttentionShape& s) {
  return fmt::format("heads {}, head width {}", s.heads, s.width);
}

}  // namespace

ComponentReport check_positional_encoding(const std::string& name, const CheckOptions& options) {
  const auto& entry = positional_registry().find(name);
  // Lengths to 96 (256 when thorough) within max_length, and beyond it to 4 x.
  const Subject subject{entry, options.thorough ? 256 : 96};
  ComponentReport report{
      .kind = PositionalEncoding::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  ShapeLimits within = with_settings(attention_limits(options), subject.settings);
  within.max_length = subject.max_length;
  within.self_attention = true;
  auto run = [&](const char* check, const ShapeLimits& limits, const char* described,
                 std::string (*property)(const Subject&, const AttentionShape&),
                 const CaseDescription& describe_case, bool fewer = false) {
    report.checks.push_back(run_check(check, [&] {
      // A ConfigError anywhere is a refusal: an encoding may refuse a length
      // (a learned table shorter than it), saying so.
      return over_shapes(
          options, limits, described,
          [&](const AttentionShape& s) { return refusing([&] { return property(subject, s); }); },
          fewer, describe_case);
    }));
  };
  run("declared_channels", within,
      "acts exactly through the channels it declares, with their shapes, finite", declared_channels,
      [&](const AttentionShape& s) {
        return fmt::format("length {}, {}{}", s.keys, heads_of(s),
                           with_setting(s, subject.settings));
      });
  // Offset and span within max_length for an encoding that does not extrapolate
  // (with the stride lowered to fit).
  ShapeLimits spread = within;
  spread.self_attention = false;
  if (!entry.capabilities.extrapolates) spread.max_length = subject.max_length / 2;
  run("positions", spread,
      "tokens at positions o, o + s, ..., o + (L - 1) s (after a cache, or with randomized "
      "positions' gaps) get the rows of those positions of [0, o + (L - 1) s + 1)",
      positions, [&](const AttentionShape& s) {
        return fmt::format("offset {}, stride {}, length {}, {}{}", s.queries - 1,
                           case_stride(s, position_end(subject)), s.keys, heads_of(s),
                           with_setting(s, subject.settings));
      });
  ShapeLimits small = with_settings(small_limits(options), subject.settings);
  small.self_attention = true;
  run(
      "gradients", small,
      "relative gradient error at most 1e-3 of every channel with respect to the encoding's "
      "parameters (and q, k when it rotates them)",
      gradients,
      [&](const AttentionShape& s) {
        return fmt::format("length {}, {}{}", s.keys, heads_of(s),
                           with_setting(s, subject.settings));
      },
      true);
  report.checks.push_back(run_check("cached_generation", [&] {
    return cached_generation_over_shapes(options, subject.settings,
                                         [&](TransformerConfig& c, const ParameterSetting& p) {
                                           c.positional = {entry.name, p};
                                         });
  }));
  if (entry.capabilities.extrapolates)
    run("extrapolates", within,
        "every declared channel defined and finite at lengths max_length + 3 x keys, to 4 x "
        "max_length",
        extrapolates, [&](const AttentionShape& s) {
          return fmt::format("length {}, {}{}", subject.max_length + 3 * s.keys, heads_of(s),
                             with_setting(s, subject.settings));
        });
  else
    report.checks.push_back(skipped_check("extrapolates", "not claimed"));
  return report;
}

}  // namespace attnlab::conformance
