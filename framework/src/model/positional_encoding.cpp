#include "attnlab/model/positional_encoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "attnlab/error.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {

std::vector<int64_t> consecutive_positions(int64_t offset, int64_t length) {
  std::vector<int64_t> positions(static_cast<std::size_t>(std::max<int64_t>(length, 0)));
  std::iota(positions.begin(), positions.end(), offset);
  return positions;
}

Tensor sinusoidal_table(Positions positions, int64_t d_model, double base) {
  const auto length = static_cast<int64_t>(positions.size());
  Tensor table = Tensor::zeros({length, d_model});  // [T, D]
  for (int64_t t = 0; t < length; ++t)
    for (int64_t i = 0; i < d_model / 2; ++i) {
      const double angle =
          static_cast<double>(positions[static_cast<std::size_t>(t)]) /
          std::pow(base, 2.0 * static_cast<double>(i) / static_cast<double>(d_model));
      table.data()[t * d_model + 2 * i] = static_cast<float>(std::sin(angle));
      table.data()[t * d_model + 2 * i + 1] = static_cast<float>(std::cos(angle));
    }
  return table;
}

Tensor PositionalEncoding::embedding_term(Positions) const {
  return {};
}

std::pair<Tensor, Tensor> PositionalEncoding::rotate(const Tensor& q, Positions, const Tensor& k,
                                                     Positions) const {
  return {q, k};
}

Tensor PositionalEncoding::score_bias(Positions, Positions, bool) const {
  return {};
}

EmbeddingStack::EmbeddingStack(const TransformerConfig& config, int64_t vocab_size, Rng& rng)
    : tokens_(vocab_size, config.d_model, rng), dropout_(config.dropout) {
  add_module("tokens", tokens_);
}

Tensor EmbeddingStack::forward(std::span<const int32_t> ids, const Shape& ids_shape,
                               Positions positions, const PositionalEncoding& encoding,
                               const ForwardContext& context) const {
  const Tensor tokens =
      record(context, "token_embedding", tokens_.forward(ids, ids_shape),
             {dims::example, dims::position, dims::feature}, Replaceable::yes);  // [B, T, D]
  if (static_cast<int64_t>(positions.size()) != ids_shape.back())
    throw ShapeError(
        fmt::format("embedding: {} positions for {} tokens", positions.size(), ids_shape.back()));
  const Tensor positional = encoding.embedding_term(positions);  // [T, D]
  if (!positional.defined()) return dropout(context, tokens, dropout_);
  // Observed only: what follows is computed from the sum below, not from this table.
  record(context, "positional", positional, {dims::position, dims::feature}, Replaceable::no);
  return dropout(context, ops::add(tokens, positional), dropout_);
}

}  // namespace attnlab
