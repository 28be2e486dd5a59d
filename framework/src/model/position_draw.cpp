#include "attnlab/model/position_draw.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {

std::vector<int64_t> random_positions(int64_t length, int64_t range, Rng& rng) {
  if (length < 0 || length > range)
    throw ConfigError(
        fmt::format("randomized positions: cannot draw {} distinct positions from [0, {}); raise "
                    "positional.randomized to at least the longest sequence fed to the "
                    "model ({} tokens)",
                    length, range, length));
  // Selection sampling (Knuth, TAOCP vol. 2, Algorithm S): each position is
  // kept with probability (still needed) / (still available), which draws every
  // subset with the same probability, already in order. The draw reads the
  // generator's raw bits (as the tasks draw tokens), never a std::
  // distribution, so it is the same with every standard library.
  std::vector<int64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(length));
  for (int64_t position = 0; position < range && static_cast<int64_t>(chosen.size()) < length;
       ++position) {
    const auto needed = static_cast<uint64_t>(length - static_cast<int64_t>(chosen.size()));
    const auto available = static_cast<uint64_t>(range - position);
    if (rng() % available < needed) chosen.push_back(position);
  }
  return chosen;
}

std::vector<int64_t> pass_positions(int64_t range, int64_t offset, int64_t length,
                                    const ForwardContext& context, std::string_view stack) {
  if (range == 0) return consecutive_positions(offset, length);
  if (context.position_rng) return random_positions(length, range, *context.position_rng);
  if (context.training)
    throw Error(
        "randomized positions: a training pass needs ForwardContext::position_rng (the "
        "trainer's stream); without it every step would see the same positions");
  Rng fixed = seeded_rng(0, fmt::format("{} positions", stack));
  return random_positions(length, range, fixed);
}

}  // namespace attnlab
