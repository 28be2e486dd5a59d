// The cases conformance checks run on, and the shrinking of a failing one.
#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

#include "conformance/shape_cases.hpp"  // from the framework's sources

using namespace attnlab::conformance;

namespace {

auto fields(const AttentionShape& s) {
  return std::tuple(s.batch, s.heads, s.queries, s.keys, s.width);
}

// A property that fails exactly when `broken` holds.
ShapeProperty fails_when(std::function<bool(const AttentionShape&)> broken) {
  return [broken](const AttentionShape& s) -> std::string {
    if (broken(s)) throw std::runtime_error("broken at " + describe(s));
    return "held";
  };
}

}  // namespace

TEST_CASE("shape cases: the same for a seed, within the limits, edges first, varied") {
  const ShapeLimits limits;
  std::set<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>> seen;
  for (int64_t i = 0; i < 200; ++i) {
    const AttentionShape s = shape_case(7, i, limits);
    REQUIRE(s == shape_case(7, i, limits));
    for (const int64_t v : {s.batch, s.heads, s.queries, s.keys, s.width}) REQUIRE(v >= 1);
    REQUIRE(s.batch <= limits.max_batch);
    REQUIRE(s.heads <= limits.max_heads);
    REQUIRE(s.queries <= limits.max_length);
    REQUIRE(s.keys <= limits.max_length);
    REQUIRE(s.width <= limits.max_width);
    seen.insert(fields(s));
  }
  REQUIRE(seen.size() > 150);
  REQUIRE(shape_case(7, 0, limits) == AttentionShape{1, 1, 1, 1, 1});
  REQUIRE(shape_case(7, 1, limits).keys == limits.max_length);
  int64_t differing = 0;
  for (int64_t i = 5; i < 50; ++i)
    differing += shape_case(7, i, limits) != shape_case(8, i, limits);
  REQUIRE(differing > 40);
}

TEST_CASE("shape cases: a failure shrinks to the smallest shape that still fails") {
  const ShapeLimits limits;
  // Overflow past 32 keys: the smallest failing shape has 33 keys, all else 1.
  const auto keys = find_failure(3, 100, limits, fails_when([](auto& s) { return s.keys > 32; }));
  REQUIRE(keys);
  REQUIRE(keys->shape == AttentionShape{1, 1, 1, 33, 1});
  REQUIRE(keys->what == "broken at " + describe(keys->shape));
  // Heads that mix from 4 on, for odd widths only.
  const auto heads = find_failure(
      3, 100, limits, fails_when([](auto& s) { return s.heads >= 4 && s.width % 2 == 1; }));
  REQUIRE(heads);
  REQUIRE(heads->shape == AttentionShape{1, 4, 1, 1, 1});
  // The case it started from is reported, for replay: it fails too.
  const AttentionShape start = shape_case(3, heads->index, limits);
  REQUIRE((start.heads >= 4 && start.width % 2 == 1));
  const auto replayed = find_failure(
      3, 100, limits, fails_when([](auto& s) { return s.heads >= 4 && s.width % 2 == 1; }),
      heads->index);
  REQUIRE(replayed);
  REQUIRE(replayed->index == heads->index);
  REQUIRE(replayed->shape == heads->shape);
}

TEST_CASE("shape cases: a property that holds everywhere, a replay and a shrinking bound") {
  const ShapeLimits limits;
  int64_t calls = 0;
  const ShapeProperty counted = [&](const AttentionShape&) {
    ++calls;
    return std::string("held");
  };
  REQUIRE_FALSE(find_failure(1, 60, limits, counted));
  REQUIRE(calls == 60);
  calls = 0;
  REQUIRE_FALSE(find_failure(1, 60, limits, counted, int64_t{17}));
  REQUIRE(calls == 1);
  // (case 10, not case 0: nothing is smaller than the all-ones first case)
  const auto bounded =
      find_failure(1, 60, limits, fails_when([](auto&) { return true; }), int64_t{10}, 3);
  REQUIRE(bounded);
  REQUIRE(bounded->shrink_calls == 3);
  const auto non_standard = find_failure(1, 5, limits, [](const AttentionShape&) -> std::string {
    throw 42;  // a plugin may throw anything
  });
  REQUIRE(non_standard);
  REQUIRE(non_standard->what == "an exception that is not a std::exception");
}

TEST_CASE("shape cases: self-attention keeps queries equal to keys, drawn and shrunk together") {
  ShapeLimits limits{
      .max_batch = 2, .max_heads = 3, .max_length = 9, .max_width = 5, .self_attention = true};
  for (int64_t i = 0; i < 100; ++i) {
    const AttentionShape s = shape_case(4, i, limits);
    REQUIRE(s.queries == s.keys);
    // The edges too are clamped to the limits.
    REQUIRE(s.batch <= 2);
    REQUIRE(s.heads <= 3);
    REQUIRE(s.keys <= 9);
    REQUIRE(s.width <= 5);
    for (const AttentionShape& smaller : smaller_shapes(s, limits))
      REQUIRE(smaller.queries == smaller.keys);
  }
  // A causal leak from position 8 on shrinks to 9 positions, queries with them.
  const auto leak = find_failure(4, 100, limits, fails_when([](auto& s) { return s.keys > 8; }));
  REQUIRE(leak);
  REQUIRE(leak->shape == AttentionShape{1, 1, 9, 9, 1});
}

TEST_CASE("shape cases: parameter settings are drawn in range and shrink to the defaults first") {
  const ShapeLimits limits{.max_batch = 5,
                           .max_heads = 8,
                           .max_length = 96,
                           .max_width = 32,
                           .self_attention = false,
                           .settings = 6};
  std::set<int64_t> drawn;
  for (int64_t i = 0; i < 200; ++i) {
    const AttentionShape s = shape_case(2, i, limits);
    REQUIRE(s.setting >= 0);
    REQUIRE(s.setting < 6);
    drawn.insert(s.setting);
  }
  REQUIRE(drawn.size() == 6);
  REQUIRE(shape_case(2, 0, limits).setting == 0);  // the edges use the defaults
  // A bug of setting 3 only, at any shape: shrinks to setting 3 and the smallest shape.
  const auto only_three =
      find_failure(2, 200, limits, fails_when([](auto& s) { return s.setting == 3; }));
  REQUIRE(only_three);
  REQUIRE(only_three->shape == AttentionShape{1, 1, 1, 1, 1, 3});
  // A bug of every setting from 2 on shrinks to setting 2.
  const auto from_two =
      find_failure(2, 200, limits, fails_when([](auto& s) { return s.setting >= 2; }));
  REQUIRE(from_two);
  REQUIRE(from_two->shape == AttentionShape{1, 1, 1, 1, 1, 2});
}
