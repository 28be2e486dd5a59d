// The shapes a conformance check runs on: many seeded cases instead of one
// small shape, the edge cases first, and a failing case shrunk to a smallest
// one that still fails, so that a plugin author sees the simplest input that
// breaks a promise and can replay exactly it.
//
// Why not a property-testing library: Debian 12 has RapidCheck
// (librapidcheck-dev, a 2020 snapshot), but its shrinking is tied to its own
// generators and its reports and replay strings to its own test runner, while
// these cases are a handful of integer fields reported inside
// `attnlab check-plugin`'s own verdicts. A generator and a greedy shrinker of
// this size are simpler to keep and test (tests/conformance).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::conformance {

/// The inputs of one attention call: q [batch, heads, queries, width], k and v
/// [batch, heads, keys, width]; and which of the component's parameter
/// settings to build it with (0 = its defaults).
struct AttentionShape {
  int64_t batch, heads, queries, keys, width;
  int64_t setting = 0;
  bool operator==(const AttentionShape&) const = default;
};

/// The range of each field; every case lies within it.
struct ShapeLimits {
  int64_t max_batch = 5, max_heads = 8, max_length = 96, max_width = 32;
  /// Queries always as many as keys (what a causal mask over one sequence
  /// needs); they are then drawn and shrunk together.
  bool self_attention = false;
  /// Parameter settings to draw from (0 .. settings - 1; 0 = the defaults).
  int64_t settings = 1;
};

/// "batch ≤ 5, heads ≤ 8, lengths ≤ 96, width ≤ 32" (and "queries = keys").
std::string describe(const ShapeLimits& limits);

std::string describe(const AttentionShape& shape);

/// Case `index` of the cases of `seed`: the same shape on every call. The first
/// cases are the edges (everything 1; the longest; the most heads; one key under
/// several queries; the widest), at the defaults; the rest are drawn at random,
/// lengths skewed short, and take the parameter settings in turn.
AttentionShape shape_case(uint64_t seed, int64_t index, const ShapeLimits& limits);

/// Shapes smaller than `shape` in one field (queries and keys together under
/// self-attention): that field at 1 (the setting at 0, the defaults), halved,
/// or less by one, larger steps first.
std::vector<AttentionShape> smaller_shapes(const AttentionShape& shape,
                                           const ShapeLimits& limits = {});

/// A property over shapes: returns what it measured, or throws (any
/// exception) with what failed.
using ShapeProperty = std::function<std::string(const AttentionShape&)>;

struct ShapeFailure {
  int64_t index;         // the first failing case, to replay
  AttentionShape shape;  // the smallest failing shape found from it
  std::string what;      // what failed at that shape
  int64_t shrink_calls;  // property calls spent shrinking
};

/// Runs `property` on cases 0 .. count-1 of `seed` (or only case `replay`).
/// At the first failure, shrinks it: moves to the first smaller shape that
/// still fails, until none does or `max_shrink_calls` were made.
std::optional<ShapeFailure> find_failure(uint64_t seed, int64_t count, const ShapeLimits& limits,
                                         const ShapeProperty& property,
                                         std::optional<int64_t> replay = std::nullopt,
                                         int64_t max_shrink_calls = 300);

}  // namespace attnlab::conformance
