// Conformance of a positional encoding: it acts exactly through the channels
// it declares, at every head count, width and length; positions continue
// correctly after an offset (a key/value cache); it is differentiable; and it
// is defined out to 4 x max_length when it claims to extrapolate.
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

// What each channel gives for queries q [1, h, T, d] over keys k [1, h, S, d]
// whose first position is `offset` (the queries are the last T of the keys).
struct Channels {
  Tensor embedding, bias, rotated_q, rotated_k;
};

Channels channels(const PositionalEncoding& encoding, const Tensor& q, const Tensor& k,
                  int64_t offset) {
  const int64_t queries = q.size(2), keys = k.size(2);
  auto [rotated_q, rotated_k] = encoding.rotate(q, offset + keys - queries, k, offset);
  return {encoding.embedding_term(offset, keys), encoding.score_bias(queries, keys, true),
          rotated_q, rotated_k};
}

// Rows [from, from + count) of axis `axis` of `t`.
Tensor rows(const Tensor& t, int axis, int64_t from, int64_t count) {
  return t.defined() ? ops::slice(t, axis, from, count) : t;
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
  const Channels c = channels(*encoding, q, k, 0);
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
                                   {"the rotated query", &c.rotated_q},
                                   {"the rotated key", &c.rotated_k}})
    require(!t->defined() || all_finite(*t), fmt::format("{} is not finite", channel));
  return "";
}

std::string continues(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  const int64_t offset = s.queries - 1, length = s.keys, total = offset + length;
  const Tensor q = per_head(s, total, 1), k = per_head(s, total, 2);
  const Tensor q_tail = rows(q, 2, offset, length), k_tail = rows(k, 2, offset, length);
  const Channels whole = channels(*encoding, q, k, 0);
  const Channels tail = channels(*encoding, q_tail, k_tail, offset);
  // The tail's queries over the whole sequence's keys (a cache of `offset`).
  const Channels cached = channels(*encoding, q_tail, k, 0);
  const float embedding =
      channel_difference(rows(whole.embedding, 0, offset, length), tail.embedding);
  const float bias = channel_difference(rows(whole.bias, 1, offset, length), cached.bias);
  const float rotated_q =
      channel_difference(rows(whole.rotated_q, 2, offset, length), cached.rotated_q);
  const float rotated_k =
      channel_difference(rows(whole.rotated_k, 2, offset, length), tail.rotated_k);
  for (const auto& [channel, difference] : {std::pair{"embedding term", embedding},
                                            {"score bias", bias},
                                            {"rotated query", rotated_q},
                                            {"rotated key", rotated_k}})
    require(difference <= 1e-5f,
            fmt::format("the {} of positions [{}, {}) differs from the same positions of [0, {}) "
                        "by {:.3g} (at most 1e-5)",
                        channel, offset, total, total, difference));
  return "";
}

std::string extrapolates(const Subject& subject, const AttentionShape& s) {
  const auto encoding = subject.build(s);
  const Capabilities& claims = subject.entry.capabilities;
  const int64_t length = subject.max_length + 3 * s.keys;  // to 4 x max_length
  const Channels c = channels(*encoding, per_head(s, length, 1), per_head(s, length, 2), 0);
  const auto require_finite = [&](bool declared, const Tensor& t, const char* channel) {
    if (!declared) return;
    require(t.defined() && all_finite(t),
            fmt::format("{} is {} at length {} (max_length {})", channel,
                        t.defined() ? "not finite" : "undefined", length, subject.max_length));
  };
  require_finite(claims.embeddings, c.embedding, "the embedding term");
  require_finite(claims.score_bias, c.bias, "the score bias");
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
    const Channels c = channels(*encoding, q, k, 0);
    std::vector<Tensor> parts;
    for (const Tensor* t : {&c.embedding, &c.bias, &c.rotated_q, &c.rotated_k})
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
  ShapeLimits halves = within;
  halves.self_attention = false;
  halves.max_length = entry.capabilities.extrapolates ? subject.max_length : subject.max_length / 2;
  run("continues", halves,
      "positions [o, o + L) after an offset o (a cache) give the rows o.. of those of [0, o + L)",
      continues, [&](const AttentionShape& s) {
        return fmt::format("offset {}, length {}, {}{}", s.queries - 1, s.keys, heads_of(s),
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
