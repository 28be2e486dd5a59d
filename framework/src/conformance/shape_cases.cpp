#include "shape_cases.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <random>

namespace attnlab::conformance {
namespace {

// Each case has a generator of its own, so case i is the same whichever cases
// ran before it (splitmix64 of seed and index).
std::mt19937_64 case_rng(uint64_t seed, int64_t index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(index) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return std::mt19937_64(z ^ (z >> 31));
}

int64_t uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Half the lengths at most 16, where most bugs of indexing show at least cost.
int64_t length(std::mt19937_64& rng, int64_t longest) {
  return uniform(rng, 0, 1) == 0 ? uniform(rng, 1, std::min<int64_t>(16, longest))
                                 : uniform(rng, 1, longest);
}

// A shape within the limits: each field at most its limit.
AttentionShape within(AttentionShape s, const ShapeLimits& l) {
  s.batch = std::min(s.batch, l.max_batch);
  s.heads = std::min(s.heads, l.max_heads);
  s.keys = std::min(s.keys, l.max_length);
  s.queries = l.self_attention ? s.keys : std::min(s.queries, l.max_length);
  s.width = std::min(s.width, l.max_width);
  return s;
}

std::vector<AttentionShape> edge_cases(const ShapeLimits& l) {
  std::vector<AttentionShape> edges;
  for (const AttentionShape& edge : {AttentionShape{1, 1, 1, 1, 1},
                                     {l.max_batch, 2, l.max_length, l.max_length, 4},
                                     {2, l.max_heads, 7, 7, 2},
                                     {2, 2, 5, 1, 4},
                                     {1, 1, 3, 3, l.max_width}}) {
    const AttentionShape kept = within(edge, l);
    if (std::find(edges.begin(), edges.end(), kept) == edges.end()) edges.push_back(kept);
  }
  return edges;
}

// The fields of a shape, to shrink one at a time.
constexpr std::array<int64_t AttentionShape::*, 6> kFields{
    &AttentionShape::batch, &AttentionShape::heads, &AttentionShape::queries,
    &AttentionShape::keys,  &AttentionShape::width, &AttentionShape::setting};

// What the property said at `shape`, or nothing if it held.
std::optional<std::string> failure_at(const ShapeProperty& property, const AttentionShape& shape) {
  try {
    property(shape);
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an exception that is not a std::exception");
  }
}

}  // namespace

std::string describe(const AttentionShape& s) {
  return fmt::format("batch {}, heads {}, queries {}, keys {}, width {}{}", s.batch, s.heads,
                     s.queries, s.keys, s.width,
                     s.setting == 0 ? "" : fmt::format(", setting {}", s.setting));
}

std::string describe(const ShapeLimits& l) {
  return fmt::format("batch ≤ {}, heads ≤ {}, lengths ≤ {}, width ≤ {}{}{}", l.max_batch,
                     l.max_heads, l.max_length, l.max_width,
                     l.self_attention ? ", queries = keys" : "",
                     l.settings > 1 ? fmt::format(", {} parameter settings", l.settings) : "");
}

AttentionShape shape_case(uint64_t seed, int64_t index, const ShapeLimits& limits) {
  const std::vector<AttentionShape> edges = edge_cases(limits);
  if (index < static_cast<int64_t>(edges.size())) return edges[static_cast<std::size_t>(index)];
  std::mt19937_64 rng = case_rng(seed, index);
  AttentionShape shape{};
  shape.batch = uniform(rng, 1, limits.max_batch);
  shape.heads = uniform(rng, 1, limits.max_heads);
  shape.keys = length(rng, limits.max_length);
  // Self-attention (queries == keys) half the time: what causal masks need.
  const bool self_attention = uniform(rng, 0, 1) == 0 || limits.self_attention;
  shape.queries = self_attention ? shape.keys : length(rng, limits.max_length);
  shape.width = uniform(rng, 1, limits.max_width);
  // The settings in turn, so that as many cases as settings reach each one.
  shape.setting =
      (index - static_cast<int64_t>(edges.size())) % std::max<int64_t>(1, limits.settings);
  return shape;
}

std::vector<AttentionShape> smaller_shapes(const AttentionShape& shape, const ShapeLimits& limits) {
  std::vector<AttentionShape> smaller;
  for (int64_t AttentionShape::*field : kFields) {
    if (limits.self_attention && field == &AttentionShape::queries) continue;  // moves with keys
    const int64_t value = shape.*field;
    const int64_t least = field == &AttentionShape::setting ? 0 : 1;
    for (const int64_t candidate : {least, value / 2, value - 1}) {
      if (candidate < least || candidate >= value) continue;
      AttentionShape next = shape;
      next.*field = candidate;
      if (limits.self_attention) next.queries = next.keys;
      if (std::find(smaller.begin(), smaller.end(), next) == smaller.end()) smaller.push_back(next);
    }
  }
  return smaller;
}

std::optional<ShapeFailure> find_failure(uint64_t seed, int64_t count, const ShapeLimits& limits,
                                         const ShapeProperty& property,
                                         std::optional<int64_t> replay, int64_t max_shrink_calls) {
  const int64_t first = replay.value_or(0), last = replay ? *replay + 1 : count;
  for (int64_t index = first; index < last; ++index) {
    const AttentionShape start = shape_case(seed, index, limits);
    std::optional<std::string> what = failure_at(property, start);
    if (!what) continue;
    ShapeFailure failure{index, start, *what, 0};
    for (bool moved = true; moved && failure.shrink_calls < max_shrink_calls;) {
      moved = false;
      for (const AttentionShape& candidate : smaller_shapes(failure.shape, limits)) {
        if (failure.shrink_calls >= max_shrink_calls) break;
        ++failure.shrink_calls;
        if (std::optional<std::string> still = failure_at(property, candidate)) {
          failure.shape = candidate;
          failure.what = *still;
          moved = true;
          break;
        }
      }
    }
    return failure;
  }
  return std::nullopt;
}

}  // namespace attnlab::conformance
