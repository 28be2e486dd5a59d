// Binary elementwise ops with suffix broadcasting, and scalar ops.
#include <algorithm>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

using detail::grad_of;

// b's shape must be a suffix of a's; a is seen as [outer, inner] and b as [inner].
int64_t broadcast_inner(const char* op, const Tensor& a, const Tensor& b) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const bool suffix = sb.size() <= sa.size() && std::equal(sb.rbegin(), sb.rend(), sa.rbegin());
  if (!suffix)
    detail::shape_error(
        op, "cannot broadcast {} over {} (the second shape must be a suffix of the first)",
        shape_string(sb), shape_string(sa));
  return b.numel();
}

// dA and dB are functors (grad, a, b) -> partial derivative contribution.
template <class Forward, class GradA, class GradB>
Tensor binary(const char* op, const Tensor& a, const Tensor& b, Forward forward, GradA grad_a,
              GradB grad_b) {
  const int64_t inner = broadcast_inner(op, a, b);
  const int64_t outer = inner == 0 ? 0 : a.numel() / inner;
  Tensor out = detail::new_output(op, a.shape());
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  detail::parallel_for(outer, inner, [&](int64_t row) {
    const float* ra = pa + row * inner;
    float* ro = po + row * inner;
    for (int64_t j = 0; j < inner; ++j) ro[j] = forward(ra[j], pb[j]);
  });
  if (!detail::needs_backward({&a, &b})) return out;
  detail::record_backward(out, {a, b}, [a, b, outer, inner, grad_a, grad_b](const float* g) {
    const float* va = a.data();
    const float* vb = b.data();
    if (float* ga = grad_of(a)) {
      detail::parallel_for(outer, inner, [&](int64_t row) {
        const int64_t base = row * inner;
        for (int64_t j = 0; j < inner; ++j)
          ga[base + j] += grad_a(g[base + j], va[base + j], vb[j]);
      });
    }
    if (float* gb = grad_of(b)) {
      // Columns split across threads; every column sums its rows in order (deterministic).
      constexpr int64_t kBlock = 256;
      const int64_t blocks = (inner + kBlock - 1) / kBlock;
      detail::parallel_for(blocks, outer * kBlock, [&](int64_t block) {
        const int64_t begin = block * kBlock, end = std::min(inner, begin + kBlock);
        for (int64_t row = 0; row < outer; ++row) {
          const int64_t base = row * inner;
          for (int64_t j = begin; j < end; ++j) gb[j] += grad_b(g[base + j], va[base + j], vb[j]);
        }
      });
    }
  });
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return binary(
      "add", a, b, [](float x, float y) { return x + y; }, [](float g, float, float) { return g; },
      [](float g, float, float) { return g; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return binary(
      "sub", a, b, [](float x, float y) { return x - y; }, [](float g, float, float) { return g; },
      [](float g, float, float) { return -g; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return binary(
      "mul", a, b, [](float x, float y) { return x * y; },
      [](float g, float, float y) { return g * y; }, [](float g, float x, float) { return g * x; });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return binary(
      "div", a, b, [](float x, float y) { return x / y; },
      [](float g, float, float y) { return g / y; },
      [](float g, float x, float y) { return -g * x / (y * y); });
}

Tensor scale(const Tensor& a, float factor) {
  Tensor out = detail::new_output("scale", a.shape());
  detail::array(out.data(), out.numel()) = detail::array(a.data(), a.numel()) * factor;
  if (detail::needs_backward({&a}))
    detail::record_backward(out, {a}, [a, factor](const float* g) {
      if (float* ga = grad_of(a))
        detail::array(ga, a.numel()) += detail::array(g, a.numel()) * factor;
    });
  return out;
}

Tensor add_scalar(const Tensor& a, float constant) {
  Tensor out = detail::new_output("add_scalar", a.shape());
  detail::array(out.data(), out.numel()) = detail::array(a.data(), a.numel()) + constant;
  if (detail::needs_backward({&a}))
    detail::record_backward(out, {a}, [a](const float* g) {
      if (float* ga = grad_of(a)) detail::array(ga, a.numel()) += detail::array(g, a.numel());
    });
  return out;
}

}  // namespace attnlab::ops
