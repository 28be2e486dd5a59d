#include "attnlab/model/positional_encoding.hpp"

#include <cmath>

#include "attnlab/ops.hpp"

namespace attnlab {

Tensor sinusoidal_table(int64_t offset, int64_t length, int64_t d_model, double base) {
  Tensor table = Tensor::zeros({length, d_model});  // [T, D]
  for (int64_t t = 0; t < length; ++t)
    for (int64_t i = 0; i < d_model / 2; ++i) {
      const double angle =
          static_cast<double>(offset + t) /
          std::pow(base, 2.0 * static_cast<double>(i) / static_cast<double>(d_model));
      table.data()[t * d_model + 2 * i] = static_cast<float>(std::sin(angle));
      table.data()[t * d_model + 2 * i + 1] = static_cast<float>(std::cos(angle));
    }
  return table;
}

Tensor PositionalEncoding::embedding_term(int64_t, int64_t) const {
  return {};
}

std::pair<Tensor, Tensor> PositionalEncoding::rotate(const Tensor& q, int64_t, const Tensor& k,
                                                     int64_t) const {
  return {q, k};
}

Tensor PositionalEncoding::score_bias(int64_t, int64_t, bool) const {
  return {};
}

EmbeddingStack::EmbeddingStack(const TransformerConfig& config, int64_t vocab_size, Rng& rng)
    : tokens_(vocab_size, config.d_model, rng), dropout_(config.dropout) {
  add_module("tokens", tokens_);
}

Tensor EmbeddingStack::forward(std::span<const int32_t> ids, const Shape& ids_shape,
                               int64_t position_offset, const PositionalEncoding& positions,
                               const ForwardContext& context) const {
  const Tensor tokens =
      record(context, "token_embedding", tokens_.forward(ids, ids_shape),
             {dims::example, dims::position, dims::feature}, Replaceable::yes);  // [B, T, D]
  const Tensor positional = positions.embedding_term(position_offset, ids_shape.back());  // [T, D]
  if (!positional.defined()) return dropout(context, tokens, dropout_);
  // Observed only: what follows is computed from the sum below, not from this table.
  record(context, "positional", positional, {dims::position, dims::feature}, Replaceable::no);
  return dropout(context, ops::add(tokens, positional), dropout_);
}

}  // namespace attnlab
