// Batched matrix product and nn.Linear-style affine map.
#include <algorithm>

#include "attnlab/ops.hpp"
#include "ops/batched_gemm.hpp"
#include "ops/gemm.hpp"
#include "ops/op_support.hpp"
#include "ops/row_sum.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

struct MatmulGeometry {
  int64_t batch, m, n, k;
  bool shared_b;  // b is one 2-D matrix used by every batch item
};

MatmulGeometry matmul_geometry(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  if (a.rank() < 2 || b.rank() < 2)
    detail::shape_error("matmul", "operands need at least 2 axes, got {} and {}",
                        shape_string(a.shape()), shape_string(b.shape()));
  const int64_t m = ta ? a.size(-1) : a.size(-2);
  const int64_t ka = ta ? a.size(-2) : a.size(-1);
  const int64_t kb = tb ? b.size(-1) : b.size(-2);
  const int64_t n = tb ? b.size(-2) : b.size(-1);
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  const bool shared_b = b_batch.empty();
  if (ka != kb || (!shared_b && a_batch != b_batch))
    detail::shape_error("matmul", "cannot multiply {}{} by {}{}", shape_string(a.shape()),
                        ta ? "^T" : "", shape_string(b.shape()), tb ? "^T" : "");
  return {element_count(a_batch), m, n, ka, shared_b};
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return matmul(a, b, transpose_a, transpose_b, 1.0f);
}

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, float factor) {
  MatmulGeometry g = matmul_geometry(a, b, transpose_a, transpose_b);
  Shape out_shape(a.shape().begin(), a.shape().end() - 2);
  out_shape.push_back(g.m);
  out_shape.push_back(g.n);
  if (g.shared_b && !transpose_a) {  // one tall GEMM instead of many small ones
    g.m *= g.batch;
    g.batch = 1;
  }
  Tensor out = detail::new_output("matmul", out_shape);
  const int64_t a_step = g.m * g.k, b_step = g.shared_b ? 0 : g.k * g.n, c_step = g.m * g.n;
  const float* pa = a.data();
  const float* pb = b.data();
  float* pc = out.data();
  detail::batched_gemm({pa, a_step, transpose_a}, {pb, b_step, transpose_b}, pc, c_step, g.batch,
                       g.m, g.n, g.k, false, factor);
  if (!detail::needs_backward({&a, &b})) return out;
  detail::record_backward(out, {a, b}, [=](const float* dc) {
    const float* va = a.data();
    const float* vb = b.data();
    // Each item writes its own slice of dA (and of dB unless B is shared: then
    // every item adds its part to the one dB, in item order).
    if (const detail::GradTarget da = detail::grad_target(a)) {
      if (transpose_a)  // dA = op(B) dC^T
        detail::batched_gemm({vb, b_step, transpose_b}, {dc, c_step, true}, da.data, a_step,
                             g.batch, g.k, g.m, g.n, !da.overwrite, factor);
      else  // dA = dC op(B)^T
        detail::batched_gemm({dc, c_step, false}, {vb, b_step, !transpose_b}, da.data, a_step,
                             g.batch, g.m, g.k, g.n, !da.overwrite, factor);
    }
    if (const detail::GradTarget db = detail::grad_target(b)) {
      if (db.overwrite && g.shared_b && g.batch == 0)  // no item adds to it: dB is 0
        std::fill_n(db.data, b.numel(), 0.0f);
      for (int64_t i = 0, items = g.shared_b ? g.batch : 1; i < items; ++i) {
        const bool accumulate = !db.overwrite || i > 0;
        const int64_t batch = g.shared_b ? 1 : g.batch;
        if (transpose_b)  // dB = dC^T op(A)
          detail::batched_gemm({dc + i * c_step, c_step, true},
                               {va + i * a_step, a_step, transpose_a}, db.data, b_step, batch, g.n,
                               g.k, g.m, accumulate, factor);
        else  // dB = op(A)^T dC
          detail::batched_gemm({va + i * a_step, a_step, !transpose_a},
                               {dc + i * c_step, c_step, false}, db.data, b_step, batch, g.k, g.n,
                               g.m, accumulate, factor);
      }
    }
  });
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t in = x.rank() > 0 ? x.size(-1) : -1;
  if (weight.rank() != 2 || weight.size(1) != in ||
      (bias.defined() && bias.shape() != Shape{weight.size(0)}))
    detail::shape_error("linear", "input {} does not fit weight {} (out, in) and bias {}",
                        shape_string(x.shape()), shape_string(weight.shape()),
                        bias.defined() ? shape_string(bias.shape()) : "none");
  const int64_t out_features = weight.size(0);
  const int64_t rows = element_count(Shape(x.shape().begin(), x.shape().end() - 1));
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  Tensor out = detail::new_output("linear", out_shape);
  detail::gemm({x.data(), false}, {weight.data(), true}, out.data(), rows, out_features, in, false);
  if (bias.defined())
    detail::matrix(out.data(), rows, out_features).rowwise() +=
        detail::matrix(bias.data(), 1, out_features).row(0);
  if (!detail::needs_backward({&x, &weight, &bias})) return out;
  detail::record_backward(out, {x, weight, bias}, [=](const float* dy) {
    if (const detail::GradTarget dx = detail::grad_target(x))  // dX = dY W
      detail::gemm({dy, false}, {weight.data(), false}, dx.data, rows, in, out_features,
                   !dx.overwrite);
    if (const detail::GradTarget dw = detail::grad_target(weight))  // dW = dY^T X
      detail::gemm({dy, true}, {x.data(), false}, dw.data, out_features, in, rows, !dw.overwrite);
    if (float* db = detail::grad_of(bias))
      detail::add_row_sum(db, rows, out_features, [&](int64_t r) {
        return detail::array(dy + r * out_features, out_features);
      });
  });
  return out;
}

}  // namespace attnlab::ops
