#include "attnlab/model/positional_encoding.hpp"

#include "attnlab/ops.hpp"

namespace attnlab {

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
  const Tensor tokens = tokens_.forward(ids, ids_shape);  // [B, T, D]
  record(context, "token_embedding", tokens);
  const Tensor positional = positions.embedding_term(position_offset, ids_shape.back());  // [T, D]
  if (!positional.defined()) return dropout(context, tokens, dropout_);
  record(context, "positional", positional);
  return dropout(context, ops::add(tokens, positional), dropout_);
}

}  // namespace attnlab
