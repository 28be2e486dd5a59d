// Differentiable ops. Each returns a new tensor; when any operand requires a
// gradient (and no NoGradGuard is active) the op also records its backward, so a
// composition of these ops is differentiable with no hand-written gradient.
//
// Broadcasting (add, sub, mul, div) follows NumPy: shapes are aligned on their
// last axis and each axis must match or be 1 in one operand ([B, h, T, d] / [B, h,
// T, 1] divides each row by its own value; [T, S] adds over [B, h, T, S]; a scalar
// [] over anything). When the second shape is a suffix of the first the op runs
// a fast parallel path. Shapes that do not fit throw ShapeError naming the op and
// both shapes.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

/// Which keys each query may see. Applied inside masked_softmax without
/// materialising a mask tensor.
struct AttentionMask {
  /// Causal (masked self-attention): with T queries and S keys, query i sits at
  /// absolute position (S - T) + i and sees keys j <= (S - T) + i. For T == S this
  /// is "token i sees positions <= i"; for one new query over a key/value cache
  /// (T = 1) it sees every cached key.
  bool causal = false;
  /// Key padding: key_lengths[b] valid keys for batch item b (empty = all valid).
  /// The batch item is the first axis of the scores.
  std::vector<int32_t> key_lengths;

  bool empty() const { return !causal && key_lengths.empty(); }
};

namespace ops {

// --- elementwise, broadcasting as NumPy (on both sides; docs/tensors-and-ops.md) ---
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
/// a * factor.
Tensor scale(const Tensor& a, float factor);
/// a + constant.
Tensor add_scalar(const Tensor& a, float constant);

// --- unary elementwise ---
Tensor relu(const Tensor& x);
/// Exact GELU, x * Phi(x) with the normal CDF (PyTorch's default nn.GELU).
Tensor gelu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor exp(const Tensor& x);
/// elu(x) = x for x > 0, exp(x) - 1 otherwise (alpha = 1).
Tensor elu(const Tensor& x);
/// Natural log (x > 0; log 0 = -inf).
Tensor log(const Tensor& x);
/// log(1 + x), accurate for small x.
Tensor log1p(const Tensor& x);
/// log(1 + e^x), without overflow for large x; its derivative is sigmoid(x).
Tensor softplus(const Tensor& x);
/// |x|; the gradient at 0 is 0.
Tensor abs(const Tensor& x);
/// -x.
Tensor neg(const Tensor& x);
/// Square root (x >= 0).
Tensor sqrt(const Tensor& x);
/// min(max(x, low), high); gradient 1 where low <= x <= high, else 0. low <= high.
Tensor clamp(const Tensor& x, float low, float high);
/// Elementwise condition != 0 ? a : b, all three of one shape (no broadcasting).
/// No gradient flows to condition, and none to the side not chosen.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// --- reductions ---
/// Sum of all elements: shape [].
Tensor sum(const Tensor& x);
/// Mean of all elements: shape [].
Tensor mean(const Tensor& x);
/// Sum over the last axis: [..., N] -> [...].
Tensor sum_last(const Tensor& x);

// --- products ---
/// Batched matrix product. a: [..., M, K] (or [..., K, M] if transpose_a),
/// b: [..., K, N] (or [..., N, K] if transpose_b) -> [..., M, N]. The leading
/// (batch) axes of a and b must be equal, or b is 2-D and shared by every batch
/// item. Batch items run in parallel; tiny items several to a call.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
/// factor * matmul(a, b, ...) as one product (no pass over the result to scale
/// it): what attention scores q k^T / sqrt(d) need.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, float factor);
/// Affine map as PyTorch's nn.Linear: x [..., in], weight [out, in], bias [out]
/// (or undefined for none) -> [..., out] = x weight^T + bias, one GEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// --- shape ---
/// Same values, new shape with the same element count; one axis may be -1 (inferred).
Tensor reshape(const Tensor& x, Shape shape);
/// Swaps two axes (negative axes count from the end); the result is contiguous.
Tensor transpose(const Tensor& x, int axis0, int axis1);
/// [B, T, heads * d] -> [B, heads, T, d]: one head's slice of the features per head.
Tensor split_heads(const Tensor& x, int64_t heads);
/// [B, heads, T, d] -> [B, T, heads * d]: the heads concatenated (inverse of split_heads).
Tensor merge_heads(const Tensor& x);
/// Joins tensors along `axis`; all other extents must agree.
Tensor concat(std::span<const Tensor> parts, int axis);
/// Elements [start, start + length) along `axis`.
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t length);

// --- normalisation and probabilities ---
/// Softmax over the last axis of scores [..., T, S], numerically stable (max
/// subtracted). Masked positions get probability 0; a row whose keys are all
/// masked is all zeros (not NaN) and passes no gradient. With key_lengths the
/// first axis of scores is the batch.
Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask = {});
/// x / sqrt(sum(x^2) + eps) over the last axis (unit L2 norm per row).
Tensor l2_normalize(const Tensor& x, float eps = 1e-6f);
/// log(softmax(x)) over the last axis, computed as x - logsumexp(x).
Tensor log_softmax(const Tensor& x);
/// Mean cross-entropy of logits [..., V] against integer targets (one per row of
/// logits, in row-major order), skipping rows whose target is ignore_index.
/// Shape []. A target outside [0, V) that is not ignore_index throws.
Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets,
                     int32_t ignore_index = -100);
/// LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * weight + bias,
/// with the biased variance (as PyTorch). weight, bias: [D].
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);

/// The mask as an additive constant of the scores' shape [..., T, S]: 0 where a
/// key is visible, -inf where it is masked. For variants that do not normalise
/// with masked_softmax (e.g. sigmoid attention). No gradient.
Tensor mask_to_bias(const AttentionMask& mask, const Shape& scores_shape);

// --- lookup and regularisation ---
/// Rows of table [V, D] picked by ids; ids.size() == element_count(ids_shape);
/// result [ids_shape..., D]. An id outside [0, V) throws.
Tensor embedding(const Tensor& table, std::span<const int32_t> ids, const Shape& ids_shape);
/// Inverted dropout: zeroes each element with probability p and scales the rest
/// by 1 / (1 - p). The mask is drawn from rng, so a seeded rng repeats it.
Tensor dropout(const Tensor& x, float p, std::mt19937_64& rng);

}  // namespace ops
}  // namespace attnlab
