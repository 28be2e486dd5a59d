#include "attnlab/model/positional_encoding.hpp"

#include <fmt/format.h>

#include <cmath>

#include "attnlab/error.hpp"
#include "attnlab/nn/init.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {

PositionalEncoding::PositionalEncoding(PositionalKind kind, int64_t d_model, int64_t max_length,
                                       Rng& rng)
    : kind_(kind), d_model_(d_model), max_length_(max_length) {
  if (kind_ == PositionalKind::learned)
    table_ = add_parameter("weight", init::normal({max_length, d_model}, 0.02f, rng));
}

Tensor PositionalEncoding::positions(int64_t offset, int64_t length) const {
  switch (kind_) {
    case PositionalKind::none:
      return {};
    case PositionalKind::learned:
      if (offset + length > max_length_)
        throw ConfigError(
            fmt::format("learned positional table has {} positions but position {} was asked for; "
                        "raise model.max_length or use an encoding that extrapolates",
                        max_length_, offset + length - 1));
      return ops::slice(table_, 0, offset, length);
    case PositionalKind::sinusoidal: {
      Tensor table = Tensor::zeros({length, d_model_});
      for (int64_t t = 0; t < length; ++t)
        for (int64_t i = 0; i < d_model_ / 2; ++i) {
          const double angle =
              static_cast<double>(offset + t) /
              std::pow(10000.0, 2.0 * static_cast<double>(i) / static_cast<double>(d_model_));
          table.data()[t * d_model_ + 2 * i] = static_cast<float>(std::sin(angle));
          table.data()[t * d_model_ + 2 * i + 1] = static_cast<float>(std::cos(angle));
        }
      return table;
    }
  }
  return {};
}

EmbeddingStack::EmbeddingStack(const TransformerConfig& config, int64_t vocab_size, Rng& rng)
    : tokens_(vocab_size, config.d_model, rng),
      positions_(config.positional, config.d_model, config.max_length, rng),
      dropout_(config.dropout) {
  add_module("tokens", tokens_);
  add_module("positions", positions_);
}

Tensor EmbeddingStack::forward(std::span<const int32_t> ids, const Shape& ids_shape,
                               int64_t position_offset, const ForwardContext& context) const {
  const Tensor tokens = tokens_.forward(ids, ids_shape);  // [B, T, D]
  record(context, "token_embedding", tokens);
  const Tensor positional = positions_.positions(position_offset, ids_shape.back());  // [T, D]
  if (!positional.defined()) return dropout(context, tokens, dropout_);
  record(context, "positional", positional);
  return dropout(context, ops::add(tokens, positional), dropout_);
}

}  // namespace attnlab
