// Unary elementwise ops: value and derivative side by side.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

// Fill is a functor (in, out, count) computing count outputs; Derivative is a
// functor (x, y) -> dy/dx, given the input x and the output y.
template <class Fill, class Derivative>
Tensor unary_of_chunks(const char* op, const Tensor& x, Fill fill, Derivative derivative) {
  Tensor out = detail::new_output(op, x.shape());
  const int64_t n = x.numel();
  const float* px = x.data();
  float* py = out.data();
  detail::parallel_chunks(
      n, [&](int64_t begin, int64_t end) { fill(px + begin, py + begin, end - begin); });
  if (!detail::needs_backward({&x})) return out;
  detail::record_backward(out, {x}, [x, y = detail::value_of(out), derivative, n](const float* g) {
    const detail::GradTarget gx = detail::grad_target(x);
    if (!gx) return;
    const float* vx = x.data();
    const float* vy = y->data();
    detail::parallel_chunks(n, [&](int64_t begin, int64_t end) {
      detail::store_grad_range(gx, begin, end,
                               [&](int64_t i) { return g[i] * derivative(vx[i], vy[i]); });
    });
  });
  return out;
}

// Value is a functor x -> y.
template <class Value, class Derivative>
Tensor unary(const char* op, const Tensor& x, Value value, Derivative derivative) {
  return unary_of_chunks(
      op, x,
      [value](const float* in, float* out, int64_t count) {
        for (int64_t i = 0; i < count; ++i) out[i] = value(in[i]);
      },
      derivative);
}

}  // namespace

Tensor relu(const Tensor& x) {
  return unary(
      "relu", x, [](float v) { return v > 0.0f ? v : 0.0f; },
      [](float v, float) { return v > 0.0f ? 1.0f : 0.0f; });
}

Tensor gelu(const Tensor& x) {
  constexpr float kInvSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  constexpr float kInvSqrt2Pi =
      static_cast<float>(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
  return unary(
      "gelu", x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); },
      [](float v, float) {
        const float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
        return cdf + v * kInvSqrt2Pi * std::exp(-0.5f * v * v);
      });
}

Tensor tanh(const Tensor& x) {
  // Eigen's rational approximation (a couple of ulps; exactly +-1 beyond
  // +-7.9999), the same formula in its vector and scalar paths: the C
  // library's tanhf, one call per element, took two thirds of an
  // additive-attention trial.
  return unary_of_chunks(
      "tanh", x,
      [](const float* in, float* out, int64_t count) {
        detail::array(out, count) = detail::array(in, count).tanh();
      },
      [](float, float y) { return 1.0f - y * y; });
}

Tensor sigmoid(const Tensor& x) {
  return unary(
      "sigmoid", x, [](float v) { return 1.0f / (1.0f + std::exp(-v)); },
      [](float, float y) { return y * (1.0f - y); });
}

Tensor exp(const Tensor& x) {
  return unary(
      "exp", x, [](float v) { return std::exp(v); }, [](float, float y) { return y; });
}

Tensor elu(const Tensor& x) {
  return unary(
      "elu", x, [](float v) { return v > 0.0f ? v : std::expm1(v); },
      [](float v, float y) { return v > 0.0f ? 1.0f : y + 1.0f; });
}

Tensor log(const Tensor& x) {
  return unary(
      "log", x, [](float v) { return std::log(v); }, [](float v, float) { return 1.0f / v; });
}

Tensor log1p(const Tensor& x) {
  return unary(
      "log1p", x, [](float v) { return std::log1p(v); },
      [](float v, float) { return 1.0f / (1.0f + v); });
}

Tensor softplus(const Tensor& x) {
  // log(1 + e^x) without overflow: x + log1p(e^-x) for large x.
  return unary(
      "softplus", x,
      [](float v) { return v > 0.0f ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); },
      [](float v, float) { return 1.0f / (1.0f + std::exp(-v)); });
}

Tensor abs(const Tensor& x) {
  return unary(
      "abs", x, [](float v) { return std::abs(v); },
      [](float v, float) { return v > 0.0f   ? 1.0f
                                  : v < 0.0f ? -1.0f
                                             : 0.0f; });
}

Tensor neg(const Tensor& x) {
  return unary(
      "neg", x, [](float v) { return -v; }, [](float, float) { return -1.0f; });
}

Tensor sqrt(const Tensor& x) {
  return unary(
      "sqrt", x, [](float v) { return std::sqrt(v); }, [](float, float y) { return 0.5f / y; });
}

Tensor clamp(const Tensor& x, float low, float high) {
  if (!(low <= high)) detail::shape_error("clamp", "low {} is above high {}", low, high);
  return unary(
      "clamp", x, [low, high](float v) { return std::min(std::max(v, low), high); },
      [low, high](float v, float) { return v >= low && v <= high ? 1.0f : 0.0f; });
}

}  // namespace attnlab::ops
