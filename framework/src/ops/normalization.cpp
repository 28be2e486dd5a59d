// Normalisation over the last axis: LayerNorm (as PyTorch, biased variance) and L2.
#include <cmath>
#include <memory>
#include <vector>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "ops/row_sum.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  const int64_t width = x.rank() > 0 ? x.size(-1) : 0;
  if (width == 0 || weight.shape() != Shape{width} || bias.shape() != Shape{width})
    detail::shape_error("layer_norm", "input {} needs weight and bias [{}], got {} and {}",
                        shape_string(x.shape()), width, shape_string(weight.shape()),
                        shape_string(bias.shape()));
  const int64_t rows = x.numel() / width;
  Tensor out = detail::new_output("layer_norm", x.shape());
  // x_hat is kept for the backward: (x - mean) * rstd, and rstd per row.
  auto normalised = std::make_shared<detail::Buffer>(x.numel());
  auto rstd = std::make_shared<std::vector<float>>(rows);
  const auto w = detail::array(weight.data(), width);
  const auto b = detail::array(bias.data(), width);
  detail::parallel_for(rows, width, [&](int64_t r) {
    const auto in = detail::array(x.data() + r * width, width);
    const float mean = in.mean();
    const float variance = (in - mean).square().mean();
    (*rstd)[r] = 1.0f / std::sqrt(variance + eps);
    auto x_hat = detail::array(normalised->data() + r * width, width);
    x_hat = (in - mean) * (*rstd)[r];
    detail::array(out.data() + r * width, width) = x_hat * w + b;
  });
  if (!detail::needs_backward({&x, &weight, &bias})) return out;
  detail::record_backward(out, {x, weight, bias}, [=](const float* g) {
    const float* x_hat = normalised->data();
    if (float* gw = detail::grad_of(weight))
      detail::add_row_sum(gw, rows, width, [&](int64_t r) {
        return detail::array(g + r * width, width) * detail::array(x_hat + r * width, width);
      });
    if (float* gb = detail::grad_of(bias))
      detail::add_row_sum(gb, rows, width,
                          [&](int64_t r) { return detail::array(g + r * width, width); });
    const detail::GradTarget gx = detail::grad_target(x);
    if (!gx) return;
    const auto wv = detail::array(weight.data(), width);
    // dx = rstd * (dxh - mean(dxh) - x_hat * mean(dxh * x_hat)), dxh = g * weight
    detail::parallel_for(rows, width, [&](int64_t r) {
      const auto xh = detail::array(x_hat + r * width, width);
      const Eigen::ArrayXf dxh = detail::array(g + r * width, width) * wv;
      const float mean_dxh = dxh.mean();
      const float mean_dxh_xh = (dxh * xh).mean();
      detail::store_grad(gx.overwrite, detail::array(gx.data + r * width, width),
                         (*rstd)[r] * (dxh - mean_dxh - xh * mean_dxh_xh));
    });
  });
  return out;
}

}  // namespace attnlab::ops

namespace attnlab::ops {

Tensor l2_normalize(const Tensor& x, float eps) {
  const int64_t width = x.rank() > 0 ? x.size(-1) : 0;
  if (width == 0)
    detail::shape_error("l2_normalize", "needs a non-empty last axis, got {}",
                        shape_string(x.shape()));
  const int64_t rows = x.numel() / width;
  Tensor out = detail::new_output("l2_normalize", x.shape());
  auto inverse_norms = std::make_shared<std::vector<float>>(rows);
  detail::parallel_for(rows, width, [&](int64_t r) {
    const auto in = detail::array(x.data() + r * width, width);
    (*inverse_norms)[r] = 1.0f / std::sqrt(in.square().sum() + eps);
    detail::array(out.data() + r * width, width) = in * (*inverse_norms)[r];
  });
  if (!detail::needs_backward({&x})) return out;
  detail::record_backward(
      out, {x}, [x, y = detail::value_of(out), inverse_norms, rows, width](const float* g) {
        float* gx = detail::grad_of(x);
        if (!gx) return;
        // dx = (g - y (g . y)) / norm
        detail::parallel_for(rows, width, [&](int64_t r) {
          const auto yr = detail::array(y->data() + r * width, width);
          const auto gr = detail::array(g + r * width, width);
          detail::array(gx + r * width, width) += (gr - yr * (gr * yr).sum()) * (*inverse_norms)[r];
        });
      });
  return out;
}

}  // namespace attnlab::ops
