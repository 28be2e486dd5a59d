#include "attnlab/model/position_draw.hpp"

#include <fmt/format.h>

#include <random>

#include "attnlab/error.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/train/seeding.hpp"

namespace attnlab {

std::vector<int64_t> random_positions(int64_t length, int64_t range, Rng& rng) {
  if (length < 0 || length > range)
    throw ConfigError(
        fmt::format("randomized positions: cannot draw {} distinct positions from [0, {}); raise "
                    "positional.randomized to at least the longest sequence",
                    length, range));
  // Selection sampling (Knuth, TAOCP vol. 2, Algorithm S): each position is
  // kept with probability (still needed) / (still available), which draws every
  // subset with the same probability, already in order.
  std::vector<int64_t> chosen;
  chosen.reserve(static_cast<std::size_t>(length));
  for (int64_t position = 0; position < range && static_cast<int64_t>(chosen.size()) < length;
       ++position) {
    const int64_t needed = length - static_cast<int64_t>(chosen.size());
    std::uniform_int_distribution<int64_t> pick(0, range - position - 1);
    if (pick(rng) < needed) chosen.push_back(position);
  }
  return chosen;
}

std::vector<int64_t> pass_positions(int64_t range, int64_t offset, int64_t length,
                                    const ForwardContext& context) {
  if (range == 0) return consecutive_positions(offset, length);
  if (context.position_rng) return random_positions(length, range, *context.position_rng);
  Rng fixed = seeded_rng(0, "evaluation positions");
  return random_positions(length, range, fixed);
}

}  // namespace attnlab
