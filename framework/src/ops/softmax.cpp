// Masked softmax over attention scores, and log-softmax.
#include <algorithm>
#include <cmath>
#include <limits>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

// Both masks keep a prefix of the keys, so a row is described by its valid length.
struct RowLayout {
  int64_t rows, keys, queries, rows_per_batch_item;
};

RowLayout row_layout(const Tensor& scores, const AttentionMask& mask) {
  if (scores.rank() < 2)
    detail::shape_error("masked_softmax", "scores need axes [..., T, S], got {}",
                        shape_string(scores.shape()));
  const int64_t keys = scores.size(-1), queries = scores.size(-2);
  const int64_t rows = keys == 0 ? 0 : scores.numel() / keys;
  if (mask.causal && queries > keys)
    detail::shape_error("masked_softmax", "a causal mask needs T <= S, got scores {}",
                        shape_string(scores.shape()));
  int64_t per_item = rows;
  if (!mask.key_lengths.empty()) {
    if (scores.rank() < 3 || static_cast<int64_t>(mask.key_lengths.size()) != scores.size(0))
      detail::shape_error("masked_softmax",
                          "{} key lengths do not match the batch axis of scores {}",
                          mask.key_lengths.size(), shape_string(scores.shape()));
    for (int32_t length : mask.key_lengths)
      if (length < 0 || length > keys)
        detail::shape_error("masked_softmax", "key length {} is outside [0, {}]", length, keys);
    per_item = rows / scores.size(0);
  }
  return {rows, keys, queries, per_item};
}

int64_t valid_keys(const RowLayout& layout, const AttentionMask& mask, int64_t row) {
  int64_t valid = layout.keys;
  if (!mask.key_lengths.empty()) valid = mask.key_lengths[row / layout.rows_per_batch_item];
  if (mask.causal) {
    const int64_t query = row % layout.queries;
    valid = std::min(valid, layout.keys - layout.queries + query + 1);
  }
  return valid;
}

// Softmax of in[0, valid) into out[0, keys); -inf scores and masked keys get 0.
void softmax_row(const float* in, float* out, int64_t valid, int64_t keys) {
  std::fill(out + valid, out + keys, 0.0f);
  if (valid == 0) return;
  const auto scores = detail::array(in, valid);
  auto probabilities = detail::array(out, valid);
  const float peak = scores.maxCoeff();
  if (peak == -std::numeric_limits<float>::infinity()) {
    probabilities.setZero();
    return;
  }
  // Eigen's vectorised exp returns 2^-128 (not 0) below -88.7, including for -inf:
  // probabilities under the smallest normal float are flushed to an exact 0.
  probabilities = (scores - peak).exp();
  probabilities = (probabilities < std::numeric_limits<float>::min()).select(0.0f, probabilities);
  probabilities *= 1.0f / probabilities.sum();
}

}  // namespace

Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask) {
  const RowLayout layout = row_layout(scores, mask);
  Tensor out = detail::new_output("masked_softmax", scores.shape());
  const float* in = scores.data();
  float* po = out.data();
  detail::parallel_for(layout.rows, layout.keys, [&](int64_t r) {
    softmax_row(in + r * layout.keys, po + r * layout.keys, valid_keys(layout, mask, r),
                layout.keys);
  });
  if (!detail::needs_backward({&scores})) return out;
  detail::record_backward(
      out, {scores}, [scores, y = detail::value_of(out), layout](const float* g) {
        const detail::GradTarget gx = detail::grad_target(scores);
        if (!gx) return;
        const float* py = y->data();
        const int64_t keys = layout.keys;
        // dx = y * (g - sum(g * y)); masked entries have y = 0 and receive
        // nothing.
        detail::parallel_for(layout.rows, keys, [&](int64_t r) {
          const auto yr = detail::array(py + r * keys, keys);
          const auto gr = detail::array(g + r * keys, keys);
          const float dot = (yr * gr).sum();
          detail::store_grad(gx.overwrite, detail::array(gx.data + r * keys, keys),
                             yr * (gr - dot));
        });
      });
  return out;
}

Tensor mask_to_bias(const AttentionMask& mask, const Shape& scores_shape) {
  Tensor probe = Tensor::zeros(scores_shape);
  const RowLayout layout = row_layout(probe, mask);
  const float blocked = -std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r < layout.rows; ++r) {
    float* row = probe.data() + r * layout.keys;
    std::fill(row + valid_keys(layout, mask, r), row + layout.keys, blocked);
  }
  return probe;
}

Tensor log_softmax(const Tensor& x) {
  if (x.rank() < 1) detail::shape_error("log_softmax", "needs at least one axis, got a scalar");
  const int64_t width = x.size(-1);
  const int64_t rows = width == 0 ? 0 : x.numel() / width;
  Tensor out = detail::new_output("log_softmax", x.shape());
  detail::parallel_for(rows, width, [&](int64_t r) {
    const auto in = detail::array(x.data() + r * width, width);
    const float peak = in.maxCoeff();
    const float log_total = peak + std::log((in - peak).exp().sum());
    detail::array(out.data() + r * width, width) = in - log_total;
  });
  if (!detail::needs_backward({&x})) return out;
  detail::record_backward(out, {x}, [x, y = detail::value_of(out), rows, width](const float* g) {
    float* gx = detail::grad_of(x);
    if (!gx) return;
    // dx = g - softmax * sum(g)
    detail::parallel_for(rows, width, [&](int64_t r) {
      const auto gr = detail::array(g + r * width, width);
      detail::array(gx + r * width, width) +=
          gr - detail::array(y->data() + r * width, width).exp() * gr.sum();
    });
  });
  return out;
}

}  // namespace attnlab::ops
