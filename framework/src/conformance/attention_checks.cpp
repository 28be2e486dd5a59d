// Conformance of an attention variant: every capability it claims is tested,
// each with inputs built so that a variant breaking the promise fails.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/conformance/gradient_check.hpp"
#include "check_support.hpp"

namespace attnlab::conformance {
namespace {

constexpr int64_t kBatch = 2, kHeads = 2, kQueries = 5, kKeys = 7, kWidth = 4;
using Capabilities = AttentionVariant::Capabilities;

struct Subject {
  const Registry<AttentionVariant>::Entry& entry;

  // The same parameters every time (the same seed), so two calls compare.
  std::unique_ptr<AttentionVariant> build() const {
    Rng rng(1);
    return built(attention_registry().create(entry.name, {},
                                             {.heads = kHeads, .head_width = kWidth, .rng = rng}));
  }
  // The masks the variant claims to honour, on `keys` keys.
  AttentionMask claimed_mask() const {
    return {.causal = entry.capabilities.causal_mask,
            .key_lengths = entry.capabilities.padding_mask ? std::vector<int32_t>{kKeys, 4}
                                                           : std::vector<int32_t>{}};
  }
};

Tensor inputs(int64_t positions, uint64_t seed) {
  return uniform_tensor({kBatch, kHeads, positions, kWidth}, seed);
}

// A copy of `t` [B, h, N, d] whose rows where keep(head, position) is false are
// replaced by other values.
template <class Keep>
Tensor changed_where_not(const Tensor& t, uint64_t seed, Keep keep) {
  Tensor changed = Tensor::from_values(t.shape(), t.values());
  const Tensor other = uniform_tensor(t.shape(), seed, -2.0f, 2.0f);
  const int64_t heads = t.size(1), positions = t.size(2), width = t.size(3);
  for (int64_t row = 0; row < t.numel() / width; ++row)
    if (!keep((row / positions) % heads, row % positions))
      for (int64_t j = 0; j < width; ++j)
        changed.data()[row * width + j] = other.data()[row * width + j];
  return changed;
}

// max |a - b| over the rows of [B, h, T, d] where pick(head, query) holds.
template <class Pick>
float difference_where(const Tensor& a, const Tensor& b, Pick pick) {
  const int64_t heads = a.size(1), queries = a.size(2), width = a.size(3);
  float largest = 0.0f;
  for (int64_t row = 0; row < a.numel() / width; ++row)
    if (pick((row / queries) % heads, row % queries))
      for (int64_t j = 0; j < width; ++j) {
        const float difference = a.data()[row * width + j] - b.data()[row * width + j];
        // NaN counts as the largest difference, never as none.
        largest = std::isnan(difference) ? std::numeric_limits<float>::infinity()
                                         : std::max(largest, std::abs(difference));
      }
  return largest;
}

// The tensors a variant records of its own, with their dimension names (an
// observed pass is where a wrong count of names is caught).
class OwnRecordings final : public ActivationObserver {
 public:
  void observe(const RecordedTensor& recorded, const Tensor& value) override {
    const std::string_view name = recorded.name;
    const DimensionNames dimensions = recorded.dimensions;
    listed.push_back(
        fmt::format("{} [{}] {}", name, fmt::join(dimensions, ", "), shape_string(value.shape())));
  }
  std::vector<std::string> listed;
};

std::string shapes_and_weights(const Subject& s) {
  const auto variant = s.build();
  const Tensor v = inputs(kKeys, 3);
  OwnRecordings recordings;
  const AttentionResult r = variant->attend(inputs(kQueries, 1), inputs(kKeys, 2), v,
                                            s.claimed_mask(), Tensor(), {.observer = &recordings});
  const std::string recorded =
      recordings.listed.empty() ? ""
                                : fmt::format("; records {}", fmt::join(recordings.listed, "; "));
  const Shape expected{kBatch, kHeads, kQueries, kWidth};
  require(r.output.shape() == expected,
          fmt::format("output has shape {}, expected {}", shape_string(r.output.shape()),
                      shape_string(expected)));
  for (float x : r.output.to_vector())
    require(std::isfinite(x), "the output holds a value that is not finite");
  if (!s.entry.capabilities.returns_weights) return "output [B, h, T, d_v]" + recorded;
  const Shape weights{kBatch, kHeads, kQueries, kKeys};
  require(r.weights.shape() == weights,
          fmt::format("weights have shape {}, expected {}", shape_string(r.weights.shape()),
                      shape_string(weights)));
  const float difference = max_difference(r.output, ops::matmul(r.weights, v));
  require(difference <= 1e-5f,
          fmt::format("output differs from weights v by {:.3g} (at most 1e-5)", difference));
  return fmt::format(
      "output [B, h, T, d_v], weights [B, h, T, S], output == weights v within {:.2g}{}",
      difference, recorded);
}

std::string gradients(const Subject& s) {
  const auto variant = s.build();
  Tensor q = inputs(kQueries, 4), k = inputs(kKeys, 5), v = inputs(kKeys, 6);
  std::vector<GradCheckInput> checked{{"q", q}, {"k", k}, {"v", v}};
  // A claimed score bias is differentiated too: a learned bias (T5) trains through it.
  Tensor bias;
  if (s.entry.capabilities.score_bias) {
    bias = uniform_tensor({kHeads, kQueries, kKeys}, 27);
    checked.push_back({"score_bias", bias});
  }
  for (GradCheckInput& input : checked) input.tensor.requires_grad();
  for (auto& [name, tensor] : variant->named_parameters()) checked.push_back({name, tensor});
  const AttentionMask mask = s.claimed_mask();
  // A steep but correct variant (a normaliser near zero) defeats a large step;
  // a wrong gradient matches at no step.
  std::string report;
  double error = 0.0, step = 0.0;
  for (double candidate : {4e-2, 1e-2, 2.5e-3}) {
    step = candidate;
    report.clear();
    error = gradient_error([&] { return variant->attend(q, k, v, mask, bias, {}).output; }, checked,
                           {.step = step}, &report);
    if (error <= 1e-3) break;
  }
  require(error <= 1e-3, fmt::format("relative gradient error {:.3g} (at most 1e-3) at every "
                                     "finite-difference step down to {:g}:\n{}",
                                     error, step, report));
  return fmt::format(
      "relative gradient error {:.2g} (step {:g}) over q, k, v{} and {} "
      "parameter(s)",
      error, step, bias.defined() ? ", the score bias" : "",
      checked.size() - (bias.defined() ? 4 : 3));
}

std::string causal_mask(const Subject& s) {
  const auto variant = s.build();
  const Tensor q = inputs(kKeys, 7), k = inputs(kKeys, 8), v = inputs(kKeys, 9);
  const AttentionMask causal{.causal = true, .key_lengths = {}};
  const Tensor before = variant->attend(q, k, v, causal, Tensor(), {}).output;
  float largest = 0.0f;
  for (int64_t last = 0; last + 1 < kKeys; ++last) {
    auto kept = [&](int64_t, int64_t position) { return position <= last; };
    const Tensor after = variant
                             ->attend(q, changed_where_not(k, 20 + last, kept),
                                      changed_where_not(v, 40 + last, kept), causal, Tensor(), {})
                             .output;
    largest = std::max(largest, difference_where(before, after, kept));
  }
  require(largest == 0.0f, fmt::format("changing later keys and values moved earlier outputs by "
                                       "{:.3g} (must be exactly 0)",
                                       largest));
  return "changing keys and values after position i leaves outputs up to i unchanged";
}

std::string padding_mask(const Subject& s) {
  const auto variant = s.build();
  const Tensor q = inputs(kQueries, 10), k = inputs(kKeys, 11), v = inputs(kKeys, 12);
  // Different lengths per item: a variant applying one item's length to all fails.
  const AttentionMask padded{.causal = false, .key_lengths = {3, 5}};
  const Tensor before = variant->attend(q, k, v, padded, Tensor(), {}).output;
  const int64_t per_item = kHeads * kKeys * kWidth;
  for (int64_t item = 0; item < kBatch; ++item) {
    const int64_t length = padded.key_lengths[static_cast<std::size_t>(item)];
    auto valid = [&](int64_t, int64_t position) { return position < length; };
    Tensor k2 = changed_where_not(k, 13, valid), v2 = changed_where_not(v, 14, valid);
    for (int64_t i = 0; i < k.numel(); ++i)  // only this item's padding changes
      if (i / per_item != item) {
        k2.data()[i] = k.data()[i];
        v2.data()[i] = v.data()[i];
      }
    const Tensor after = variant->attend(q, k2, v2, padded, Tensor(), {}).output;
    const float difference = max_difference(before, after);
    require(difference == 0.0f,
            fmt::format("changing item {}'s keys and values past its length {} moved the output "
                        "by {:.3g} (must be exactly 0)",
                        item, length, difference));
  }
  return "changing keys and values past each item's key_lengths leaves the output unchanged";
}

int64_t biased_key(int64_t head, int64_t query) {
  return (2 + head + query) % kKeys;
}

// Bias [h, T, S]: `value` on key (2 + head + query) % S for each head and query, 0
// elsewhere, so a variant that reads one head's or one query's row of the bias fails.
Tensor bias_on_key(float value) {
  Tensor bias = Tensor::zeros({kHeads, kQueries, kKeys});
  for (int64_t head = 0; head < kHeads; ++head)
    for (int64_t query = 0; query < kQueries; ++query)
      bias.data()[(head * kQueries + query) * kKeys + biased_key(head, query)] = value;
  return bias;
}

std::string score_bias(const Subject& s) {
  const auto variant = s.build();
  const Tensor q = inputs(kQueries, 15), k = inputs(kKeys, 16), v = inputs(kKeys, 17);
  const AttentionMask none;
  const Tensor plain = variant->attend(q, k, v, none, Tensor(), {}).output;
  const Tensor raised = variant->attend(q, k, v, none, bias_on_key(3.0f), {}).output;
  const float moved = max_difference(plain, raised);
  require(moved > 1e-4f, fmt::format("a bias of +3 on one key per row moved the output by only "
                                     "{:.3g}: the score bias is ignored",
                                     moved));
  const Tensor blocked = bias_on_key(-std::numeric_limits<float>::infinity());
  const Tensor before = variant->attend(q, k, v, none, blocked, {}).output;
  float leaked = 0.0f;
  // Change one head's copy of one key at a time, so the check does not depend on
  // the heads being independent (head_gating's promise, tested on its own).
  for (int64_t head = 0; head < kHeads; ++head)
    for (int64_t key = 0; key < kKeys; ++key) {
      auto kept = [&](int64_t h, int64_t position) { return h != head || position != key; };
      const Tensor after = variant
                               ->attend(q, changed_where_not(k, 18 + key, kept),
                                        changed_where_not(v, 28 + key, kept), none, blocked, {})
                               .output;
      leaked = std::max(leaked, difference_where(before, after, [&](int64_t h, int64_t query) {
                          return h == head && biased_key(head, query) == key;
                        }));
    }
  require(leaked == 0.0f, fmt::format("with a -inf bias on one key per (head, query), changing "
                                      "that key moved that row's output by {:.3g} (must be 0)",
                                      leaked));
  return fmt::format(
      "a +3 bias on one key per (head, query) moves the output ({:.2g}); a -inf "
      "bias removes exactly that key from that row",
      moved);
}

std::string head_gating(const Subject& s) {
  const auto variant = s.build();
  const Tensor q = inputs(kQueries, 21), k = inputs(kKeys, 22), v = inputs(kKeys, 23);
  const AttentionMask mask = s.claimed_mask();
  const Tensor before = variant->attend(q, k, v, mask, Tensor(), {}).output;
  for (int64_t changed = 0; changed < kHeads; ++changed) {
    auto others = [&](int64_t head, int64_t) { return head != changed; };
    const Tensor after =
        variant
            ->attend(changed_where_not(q, 24 + changed, others),
                     changed_where_not(k, 34 + changed, others),
                     changed_where_not(v, 44 + changed, others), mask, Tensor(), {})
            .output;
    const float leaked = difference_where(before, after, others);
    require(leaked == 0.0f, fmt::format("changing head {}'s q, k, v moved the other heads' output "
                                        "by {:.3g} (must be exactly 0)",
                                        changed, leaked));
    require(difference_where(before, after,
                             [&](int64_t head, int64_t) { return head == changed; }) > 0.0f,
            fmt::format("changing head {}'s q, k, v did not change its output", changed));
  }
  return "changing one head's q, k, v changes that head's output only (each head in turn)";
}

std::string cached_generation(const Subject& s) {
  TransformerConfig config = small_model_config();
  config.attention = {s.entry.name, {}};
  return require_cached_generation_matches(config);
}

// A check that applies only when `claimed`.
Check claimed_check(bool claimed, const char* capability, std::function<std::string()> body) {
  if (!claimed) return skipped_check(capability, "not claimed");
  return run_check(capability, body);
}

}  // namespace

ComponentReport check_attention_variant(const std::string& name) {
  const auto& entry = attention_registry().find(name);
  const Subject s{entry};
  const Capabilities& claims = entry.capabilities;
  ComponentReport report{
      .kind = AttentionVariant::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  report.checks.push_back(run_check("shapes", [&] { return shapes_and_weights(s); }));
  report.checks.push_back(run_check("gradients", [&] { return gradients(s); }));
  report.checks.push_back(
      claimed_check(claims.causal_mask, "causal_mask", [&] { return causal_mask(s); }));
  report.checks.push_back(
      claimed_check(claims.padding_mask, "padding_mask", [&] { return padding_mask(s); }));
  report.checks.push_back(
      claimed_check(claims.score_bias, "score_bias", [&] { return score_bias(s); }));
  report.checks.push_back(
      claimed_check(claims.head_gating, "head_gating", [&] { return head_gating(s); }));
  if (claims.causal_mask)
    report.checks.push_back(run_check("cached_generation", [&] { return cached_generation(s); }));
  else
    report.checks.push_back(
        skipped_check("cached_generation", "needs the causal mask (a decoder)"));
  return report;
}

}  // namespace attnlab::conformance
