// The rotation of feature pairs that rope, p_rope and xpos share.
#include <fmt/format.h>

#include <cmath>

#include "attnlab/error.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {

std::vector<double> rotary_frequencies(int64_t head_width, double base) {
  std::vector<double> frequencies;
  for (int64_t i = 0; i < head_width / 2; ++i)
    frequencies.push_back(
        std::pow(base, -2.0 * static_cast<double>(i) / static_cast<double>(head_width)));
  return frequencies;
}

Tensor rotate_feature_pairs(const Tensor& x, Positions positions,
                            std::span<const double> frequencies, std::span<const double> growth) {
  const int64_t length = x.size(-2), width = x.size(-1);
  if (static_cast<int64_t>(positions.size()) != length)
    throw ShapeError(fmt::format("rotate_feature_pairs: {} positions for {} rows of {}",
                                 positions.size(), length, shape_string(x.shape())));
  // [T, d], each value twice (one per pair member); a pair not turned keeps cos 1, sin 0.
  Tensor cosines = Tensor::full({length, width}, 1.0f), sines = Tensor::zeros({length, width});
  const auto turned_pairs = std::min<int64_t>(width / 2, static_cast<int64_t>(frequencies.size()));
  for (int64_t t = 0; t < length; ++t) {
    const auto position = static_cast<double>(positions[static_cast<std::size_t>(t)]);
    for (int64_t i = 0; i < width / 2; ++i) {
      const double angle =
          i < turned_pairs ? position * frequencies[static_cast<std::size_t>(i)] : 0.0;
      const double scale =
          growth.empty() ? 1.0 : std::exp(position * growth[static_cast<std::size_t>(i)]);
      for (int64_t member = 0; member < 2; ++member) {
        cosines.data()[t * width + 2 * i + member] = static_cast<float>(scale * std::cos(angle));
        sines.data()[t * width + 2 * i + member] = static_cast<float>(scale * std::sin(angle));
      }
    }
  }
  // Each pair (a, b) becomes (a cos - b sin, b cos + a sin): x cos + (-b, a) sin.
  Shape pairs = x.shape();
  pairs.back() = width / 2;
  pairs.push_back(2);
  const Tensor split = ops::reshape(x, pairs);  // [B, h, T, d/2, 2]
  const Tensor first = ops::slice(split, -1, 0, 1), second = ops::slice(split, -1, 1, 1);
  const Tensor turned =
      ops::reshape(ops::concat(std::vector{ops::scale(second, -1.0f), first}, -1), x.shape());
  return ops::add(ops::mul(x, cosines), ops::mul(turned, sines));  // [B, h, T, d]
}

RotaryPositions::RotaryPositions(std::vector<double> frequencies, std::vector<double> query_growth,
                                 std::vector<double> key_growth)
    : frequencies_(std::move(frequencies)),
      query_growth_(std::move(query_growth)),
      key_growth_(std::move(key_growth)) {}

std::pair<Tensor, Tensor> RotaryPositions::rotate(const Tensor& q, Positions query_positions,
                                                  const Tensor& k, Positions key_positions) const {
  return {rotate_feature_pairs(q, query_positions, frequencies_, query_growth_),
          rotate_feature_pairs(k, key_positions, frequencies_, key_growth_)};
}

}  // namespace attnlab
