// Sums and means.
#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {

Tensor sum(const Tensor& x) {
  Tensor out = detail::new_output("sum", {});
  double total = 0.0;  // double: a long float sum drifts from the reference
  for (float v : x.values()) total += v;
  out.data()[0] = static_cast<float>(total);
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x](const float* g) {
      if (float* gx = detail::grad_of(x)) detail::array(gx, x.numel()) += g[0];
    });
  return out;
}

Tensor mean(const Tensor& x) {
  if (x.numel() == 0)
    detail::shape_error("mean", "mean of an empty tensor {}", shape_string(x.shape()));
  return scale(sum(x), 1.0f / static_cast<float>(x.numel()));
}

Tensor sum_last(const Tensor& x) {
  if (x.rank() < 1) detail::shape_error("sum_last", "needs at least one axis, got a scalar");
  const int64_t width = x.size(-1);
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  const int64_t rows = element_count(out_shape);
  Tensor out = detail::new_output("sum_last", out_shape);
  detail::parallel_for(rows, width, [&](int64_t r) {
    out.data()[r] = detail::array(x.data() + r * width, width).sum();
  });
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x, rows, width](const float* g) {
      float* gx = detail::grad_of(x);
      if (!gx) return;
      detail::parallel_for(rows, width,
                           [&](int64_t r) { detail::array(gx + r * width, width) += g[r]; });
    });
  return out;
}

}  // namespace attnlab::ops
