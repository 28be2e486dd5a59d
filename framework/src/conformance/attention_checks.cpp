// Conformance of an attention variant: every capability it claims is tested,
// each as a property over many input shapes, with inputs built so that a
// variant breaking the promise fails.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <set>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/conformance/gradient_check.hpp"
#include "attnlab/error.hpp"
#include "check_support.hpp"
#include "parameter_settings.hpp"

namespace attnlab::conformance {
namespace {

using Capabilities = AttentionVariant::Capabilities;

struct Inputs {
  Tensor q, k, v;
};

struct Subject {
  const Registry<AttentionVariant>::Entry& entry;
  std::vector<ParameterSetting> settings = parameter_settings(entry.parameters);

  // With the case's parameter setting, and the same parameters every time (the
  // same seed), so two calls compare; a ConfigError refuses the case. The
  // parameters are moved off their initial values (an identity or a zero
  // there can hide a bug that training would reveal at once).
  std::unique_ptr<AttentionVariant> build(const AttentionShape& s) const {
    Rng rng(1);
    auto variant = refusing([&] {
      return built(
          attention_registry().create(entry.name, settings[static_cast<std::size_t>(s.setting)],
                                      {.heads = s.heads, .head_width = s.width, .rng = rng}));
    });
    perturb_parameters(*variant);
    return variant;
  }
  // The masks the variant claims to honour: causal when the queries are the
  // last of the keys, and a different key length per item (the first item
  // full), so a variant applying one item's length to all fails.
  AttentionMask claimed_mask(const AttentionShape& s) const {
    AttentionMask mask{.causal = entry.capabilities.causal_mask && s.queries <= s.keys,
                       .key_lengths = {}};
    if (entry.capabilities.padding_mask) mask.key_lengths = key_lengths(s);
    return mask;
  }
  // A different length per item, the first full unless it is alone (then it
  // is padded too: one item must not mean no padding).
  static std::vector<int32_t> key_lengths(const AttentionShape& s) {
    if (s.batch == 1) return {static_cast<int32_t>(s.keys - s.keys / 2)};
    std::vector<int32_t> lengths;
    const int64_t step = std::max<int64_t>(1, s.keys / s.batch);
    for (int64_t item = 0; item < s.batch; ++item)
      lengths.push_back(static_cast<int32_t>(std::max<int64_t>(1, s.keys - item * step)));
    return lengths;
  }
};

// q [B, h, T, d], k and v [B, h, S, d], uniform in [-range, range).
Inputs inputs(const AttentionShape& s, uint64_t seed, float range = 1.0f) {
  return {uniform_tensor({s.batch, s.heads, s.queries, s.width}, seed, -range, range),
          uniform_tensor({s.batch, s.heads, s.keys, s.width}, seed + 1, -range, range),
          uniform_tensor({s.batch, s.heads, s.keys, s.width}, seed + 2, -range, range)};
}

// Where a row of [B, h, N, d] is: its item, head and position.
struct Row {
  int64_t item, head, position;
};
template <class AnyTensor, class Visit>
void for_each_row(AnyTensor& t, Visit visit) {
  const int64_t heads = t.size(1), positions = t.size(2), width = t.size(3);
  for (int64_t row = 0; row < t.numel() / width; ++row)
    visit(Row{row / (positions * heads), (row / positions) % heads, row % positions},
          t.data() + row * width, width);
}

// A copy of `t` [B, h, N, d] whose rows where keep(row) is false hold other values.
template <class Keep>
Tensor changed_where_not(const Tensor& t, uint64_t seed, Keep keep) {
  Tensor changed = Tensor::from_values(t.shape(), t.values());
  const Tensor other = uniform_tensor(t.shape(), seed, -2.0f, 2.0f);
  for_each_row(changed, [&](const Row& r, float* values, int64_t width) {
    if (keep(r)) return;
    const float* replacement = other.data() + (values - changed.data());
    std::copy(replacement, replacement + width, values);
  });
  return changed;
}

Inputs changed_where_not(const Inputs& in, uint64_t seed, const std::function<bool(Row)>& keep,
                         bool queries_too) {
  return {queries_too ? changed_where_not(in.q, seed, keep) : in.q,
          changed_where_not(in.k, seed + 1, keep), changed_where_not(in.v, seed + 2, keep)};
}

// max |a - b| over the rows of [B, h, T, d] where pick(row) holds; NaN counts
// as the largest difference, never as none.
template <class Pick>
float difference_where(const Tensor& a, const Tensor& b, Pick pick) {
  float largest = 0.0f;
  for_each_row(a, [&](const Row& r, const float* values, int64_t width) {
    if (!pick(r)) return;
    const float* other = b.data() + (values - a.data());
    for (int64_t j = 0; j < width; ++j) {
      const float difference = values[j] - other[j];
      largest = std::isnan(difference) ? std::numeric_limits<float>::infinity()
                                       : std::max(largest, std::abs(difference));
    }
  });
  return largest;
}

Tensor attend(const AttentionVariant& variant, const Inputs& in, const AttentionMask& mask,
              const Tensor& bias = {}) {
  return variant.attend(in.q, in.k, in.v, mask, bias, {}).output;
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

std::string shapes_and_weights(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 1);
  OwnRecordings recordings;
  const AttentionResult r = variant->attend(in.q, in.k, in.v, subject.claimed_mask(s), Tensor(),
                                            {.observer = &recordings});
  const Shape expected{s.batch, s.heads, s.queries, s.width};
  require(r.output.shape() == expected,
          fmt::format("output has shape {}, expected {}", shape_string(r.output.shape()),
                      shape_string(expected)));
  if (!subject.entry.capabilities.returns_weights)
    return fmt::format("{}", fmt::join(recordings.listed, "; "));
  const Shape weights{s.batch, s.heads, s.queries, s.keys};
  require(r.weights.shape() == weights,
          fmt::format("weights have shape {}, expected {}", shape_string(r.weights.shape()),
                      shape_string(weights)));
  const float difference = max_difference(r.output, ops::matmul(r.weights, in.v));
  require(difference <= 1e-5f,
          fmt::format("output differs from weights v by {:.3g} (at most 1e-5)", difference));
  return fmt::format("{}", fmt::join(recordings.listed, "; "));
}

// The variant's own recorded tensors, as the edge case of one of everything names them.
std::string own_recordings(const Subject& subject) {
  const std::string listed = shapes_and_weights(subject, {2, 2, 3, 4, 4});
  return listed.empty() ? "" : fmt::format("; records {}", listed);
}

std::string finite(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  Inputs in = inputs(s, 31, 3.0f);
  for (Tensor* t : {&in.q, &in.k, &in.v}) t->requires_grad();
  const Tensor output = attend(*variant, in, subject.claimed_mask(s));
  require(all_finite(output), "the output holds a value that is not finite (inputs in [-3, 3])");
  const Tensor weights = uniform_tensor(output.shape(), 32, 0.5f, 1.5f);
  ops::sum(ops::mul(output, weights)).backward();
  for (const auto& [name, t] : std::initializer_list<std::pair<const char*, const Tensor*>>{
           {"q", &in.q}, {"k", &in.k}, {"v", &in.v}}) {
    const Tensor gradient = t->has_grad() ? Tensor::from_values(t->shape(), t->grad()) : Tensor();
    require(!t->has_grad() || all_finite(gradient),
            fmt::format("the gradient of {} holds a value that is not finite", name));
  }
  for (auto& [name, parameter] : variant->named_parameters())
    require(!parameter.has_grad() ||
                all_finite(Tensor::from_values(parameter.shape(), parameter.grad())),
            fmt::format("the gradient of parameter {} holds a value that is not finite", name));
  return "";
}

std::string deterministic(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s), again = subject.build(s);
  const Inputs in = inputs(s, 33);
  const AttentionMask mask = subject.claimed_mask(s);
  const Tensor first = attend(*variant, in, mask);
  const float repeated = max_difference(first, attend(*variant, in, mask));
  require(repeated == 0.0f,
          fmt::format("the same inputs twice gave outputs {:.3g} apart (must be equal)", repeated));
  const float rebuilt = max_difference(first, attend(*again, in, mask));
  require(rebuilt == 0.0f,
          fmt::format("a second variant built with the same seed gave outputs {:.3g} apart "
                      "(must be equal)",
                      rebuilt));
  return "";
}

constexpr float kPermutationTolerance = 1e-5f;

float largest_magnitude(const Tensor& t) {
  float largest = 0.0f;
  for (int64_t i = 0; i < t.numel(); ++i) largest = std::max(largest, std::abs(t.data()[i]));
  return largest;
}

// `t` [B, ...] with its items in reverse order.
Tensor reversed_items(const Tensor& t) {
  Tensor reversed = Tensor::from_values(t.shape(), t.values());
  const int64_t items = t.size(0), per_item = t.numel() / items;
  for (int64_t item = 0; item < items; ++item)
    std::copy(t.data() + item * per_item, t.data() + (item + 1) * per_item,
              reversed.data() + (items - 1 - item) * per_item);
  return reversed;
}

std::string batch_independent(const Subject& subject, const AttentionShape& s) {
  if (s.batch < 2) return "";  // one item: nothing to depend on
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 35);
  const AttentionMask mask = subject.claimed_mask(s);
  const Tensor before = attend(*variant, in, mask);
  for (const int64_t kept_item : {int64_t{0}, s.batch - 1}) {
    auto kept = [&](const Row& r) { return r.item == kept_item; };
    const Tensor after = attend(*variant, changed_where_not(in, 36, kept, true), mask);
    const float moved = difference_where(before, after, kept);
    require(moved == 0.0f, fmt::format("changing the other items of the batch moved item {}'s "
                                       "output by {:.3g} (must be exactly 0)",
                                       kept_item, moved));
  }
  AttentionMask reversed_mask = mask;
  std::reverse(reversed_mask.key_lengths.begin(), reversed_mask.key_lengths.end());
  const Tensor reversed = attend(
      *variant, {reversed_items(in.q), reversed_items(in.k), reversed_items(in.v)}, reversed_mask);
  // To rounding, not bit for bit: a vectorised kernel sums a row in an order
  // that depends on where the row lies in memory (its alignment).
  const float permuted = max_difference(reversed_items(before), reversed);
  const float tolerance = kPermutationTolerance * std::max(1.0f, largest_magnitude(before));
  require(permuted <= tolerance,
          fmt::format("reversing the batch did not reverse the outputs: they differ by {:.3g} "
                      "(at most {:.3g})",
                      permuted, tolerance));
  return "";
}

std::string gradients(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  Inputs in = inputs(s, 4);
  std::vector<GradCheckInput> checked{{"q", in.q}, {"k", in.k}, {"v", in.v}};
  // A claimed score bias is differentiated too: a learned bias (T5) trains through it.
  Tensor bias;
  if (subject.entry.capabilities.score_bias) {
    bias = uniform_tensor({s.heads, s.queries, s.keys}, 27);
    checked.push_back({"score_bias", bias});
  }
  for (GradCheckInput& input : checked) input.tensor.requires_grad();
  for (auto& [name, tensor] : variant->named_parameters()) checked.push_back({name, tensor});
  const AttentionMask mask = subject.claimed_mask(s);
  require_gradients([&] { return variant->attend(in.q, in.k, in.v, mask, bias, {}).output; },
                    checked, {});
  return "";
}

// The positions after which later keys are changed: the last, the middle and
// one drawn for the shape.
std::set<int64_t> cuts(const AttentionShape& s, uint64_t salt) {
  if (s.keys < 2) return {};
  std::mt19937_64 rng = shape_rng(s, salt);
  return {s.keys - 2, (s.keys - 1) / 2, std::uniform_int_distribution<int64_t>(0, s.keys - 2)(rng)};
}

std::string causal_mask(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 7);
  const AttentionMask causal{.causal = true, .key_lengths = {}};
  const Tensor before = attend(*variant, in, causal);
  for (const int64_t last : cuts(s, 1)) {
    auto kept = [&](const Row& r) { return r.position <= last; };
    const Tensor after = attend(*variant, changed_where_not(in, 20 + last, kept, false), causal);
    const float moved = difference_where(before, after, kept);
    require(moved == 0.0f, fmt::format("changing the keys and values after position {} moved the "
                                       "outputs up to it by {:.3g} (must be exactly 0)",
                                       last, moved));
  }
  return "";
}

std::string padding_mask(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 10);
  const AttentionMask padded{.causal = false, .key_lengths = Subject::key_lengths(s)};
  const Tensor before = attend(*variant, in, padded);
  for (int64_t item = 0; item < s.batch; ++item) {
    const int64_t length = padded.key_lengths[static_cast<std::size_t>(item)];
    // Only this item's padding changes.
    auto kept = [&](const Row& r) { return r.item != item || r.position < length; };
    const Tensor after = attend(*variant, changed_where_not(in, 13, kept, false), padded);
    const float moved = max_difference(before, after);
    require(moved == 0.0f, fmt::format("changing item {}'s keys and values past its length {} "
                                       "moved the output by {:.3g} (must be exactly 0)",
                                       item, length, moved));
  }
  return "";
}

// Blocked keys of a -inf bias: key j for (head h, query i) when (j + h + i) % 3 == 0,
// so the blocked keys differ by head and by query (a variant reading one head's
// or one query's row of the bias fails); never the query's own key (the last
// queries of the keys), so every row keeps a key it sees, local windows
// included.
int64_t own_key(const AttentionShape& s, int64_t query) {
  return s.keys - s.queries + query;
}
bool blocked(const AttentionShape& s, int64_t head, int64_t query, int64_t key) {
  return (key + head + query) % 3 == 0 && key != own_key(s, query);
}

Tensor bias_where(const AttentionShape& s, float value,
                  const std::function<bool(int64_t, int64_t, int64_t)>& where) {
  Tensor bias = Tensor::zeros({s.heads, s.queries, s.keys});
  for (int64_t head = 0; head < s.heads; ++head)
    for (int64_t query = 0; query < s.queries; ++query)
      for (int64_t key = 0; key < s.keys; ++key)
        if (where(head, query, key)) bias.data()[(head * s.queries + query) * s.keys + key] = value;
  return bias;
}

std::string score_bias(const Subject& subject, const AttentionShape& s) {
  if (s.keys < 2) return "";  // one key: a bias on it changes nothing a normaliser keeps
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 15);
  const AttentionMask none;
  const Tensor plain = attend(*variant, in, none);
  // On the query's own key, which every variant sees, local windows included.
  const Tensor raised =
      attend(*variant, in, none, bias_where(s, 3.0f, [&](int64_t, int64_t query, int64_t key) {
        return key == own_key(s, query);
      }));
  const float moved = max_difference(plain, raised);
  // Only with the defaults: a setting may leave a row one visible key (a
  // window of 1), where no normaliser can show a bias.
  require(s.setting != 0 || moved > 1e-4f,
          fmt::format("a bias of +3 on each query's own key moved the output by only {:.3g}: the "
                      "score bias is ignored",
                      moved));
  const Tensor blocking = bias_where(
      s, -std::numeric_limits<float>::infinity(),
      [&](int64_t head, int64_t query, int64_t key) { return blocked(s, head, query, key); });
  const Tensor before = attend(*variant, in, none, blocking);
  // One head and one residue of keys at a time (one head at a time, so the
  // check does not depend on the heads being independent: head_gating's
  // promise, tested on its own). The rows checked block every key changed:
  // those whose own key is not among them.
  for (int64_t head = 0; head < s.heads; ++head)
    for (int64_t residue = 0; residue < 3; ++residue) {
      auto changed = [&](int64_t key) { return (key + head) % 3 == residue; };
      auto kept = [&](const Row& r) { return r.head != head || !changed(r.position); };
      const Tensor after =
          attend(*variant, changed_where_not(in, 18 + residue, kept, false), none, blocking);
      const float leaked = difference_where(before, after, [&](const Row& r) {
        return r.head == head && (residue + r.position) % 3 == 0 &&
               !changed(own_key(s, r.position));
      });
      require(leaked == 0.0f,
              fmt::format("with a -inf bias on keys j where (j + head + query) % 3 == 0 (not "
                          "the query's own key), changing head {}'s keys j with (j + {}) % 3 == "
                          "{} moved the rows that block them by {:.3g} (must be 0)",
                          head, head, residue, leaked));
    }
  return "";
}

std::string head_gating(const Subject& subject, const AttentionShape& s) {
  const auto variant = subject.build(s);
  const Inputs in = inputs(s, 21);
  const AttentionMask mask = subject.claimed_mask(s);
  const Tensor before = attend(*variant, in, mask);
  for (int64_t changed = 0; changed < s.heads; ++changed) {
    auto others = [&](const Row& r) { return r.head != changed; };
    const Tensor after = attend(*variant, changed_where_not(in, 24 + changed, others, true), mask);
    const float leaked = difference_where(before, after, others);
    require(leaked == 0.0f, fmt::format("changing head {}'s q, k, v moved the other heads' output "
                                        "by {:.3g} (must be exactly 0)",
                                        changed, leaked));
    // (Unless the mask leaves its rows no key: a window beyond the padding.)
    auto own = [&](const Row& r) { return r.head == changed; };
    const bool sees_something = difference_where(before, Tensor::zeros(before.shape()), own) > 0.0f;
    require(!sees_something || difference_where(before, after, own) > 0.0f,
            fmt::format("changing head {}'s q, k, v did not change its output", changed));
  }
  return "";
}

using Property = std::string (*)(const Subject&, const AttentionShape&);

}  // namespace

ComponentReport check_attention_variant(const std::string& name, const CheckOptions& options) {
  const auto& entry = attention_registry().find(name);
  const Subject subject{entry};
  const Capabilities& claims = entry.capabilities;
  ComponentReport report{
      .kind = AttentionVariant::kKind, .name = entry.name, .origin = entry.origin, .checks = {}};
  const ShapeLimits limits = with_settings(attention_limits(options), subject.settings);
  ShapeLimits self_attention = limits;
  self_attention.self_attention = true;
  const CaseDescription describe_case = [&](const AttentionShape& s) {
    return describe(s, subject.settings);
  };
  // A check named `check` of `property` over `shapes`, if `claimed`.
  auto add = [&](const char* check, bool claimed, const ShapeLimits& shapes, const char* described,
                 Property property, bool fewer = false, std::string suffix = {}) {
    if (!claimed) {
      report.checks.push_back(skipped_check(check, "not claimed"));
      return;
    }
    report.checks.push_back(run_check(check, [&] {
      return over_shapes(
                 options, shapes, described,
                 [&](const AttentionShape& s) { return property(subject, s); }, fewer,
                 describe_case) +
             suffix;
    }));
  };
  std::string recorded;
  try {
    recorded = own_recordings(subject);
  } catch (...) {  // the shapes check below reports it
  }
  add("shapes", true, limits,
      claims.returns_weights ? "output [B, h, T, d_v], weights [B, h, T, S], output == weights v"
                             : "output [B, h, T, d_v]",
      shapes_and_weights, false, recorded);
  add("finite", true, limits, "outputs and gradients finite for inputs in [-3, 3]", finite);
  add("deterministic", true, limits, "the same inputs and seed give the same outputs",
      deterministic);
  add("batch_independent", true, limits,
      "an item's output depends on its own inputs only (exactly); reversing the batch reverses "
      "the outputs (to 1e-5 of their scale)",
      batch_independent);
  add("gradients", true, with_settings(small_limits(options), subject.settings),
      "relative gradient error at most 1e-3 over q, k, v, a claimed score bias and the "
      "parameters",
      gradients, true);
  add("causal_mask", claims.causal_mask, self_attention,
      "changing keys and values after position i leaves the outputs up to i unchanged",
      causal_mask);
  add("padding_mask", claims.padding_mask, limits,
      "changing keys and values past each item's key_lengths leaves the output unchanged",
      padding_mask);
  add("score_bias", claims.score_bias, limits,
      "a +3 bias on each query's own key moves the output; a -inf bias removes exactly the keys "
      "it blocks from each (head, query) row",
      score_bias);
  add("head_gating", claims.head_gating, limits,
      "changing one head's q, k, v changes that head's output only (each head in turn)",
      head_gating);
  if (!claims.cached_generation)
    report.checks.push_back(skipped_check("cached_generation", "not claimed"));
  else if (claims.causal_mask)
    report.checks.push_back(run_check("cached_generation", [&] {
      return cached_generation_over_shapes(
          options, subject.settings, [&](TransformerConfig& config, const ParameterSetting& p) {
            config.attention = {entry.name, p};
          });
    }));
  else
    report.checks.push_back(
        skipped_check("cached_generation", "needs the causal mask (a decoder)"));
  return report;
}

}  // namespace attnlab::conformance
