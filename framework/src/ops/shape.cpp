// Ops that move values around: reshape, transpose, head split/merge, concat, slice.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

// x seen as [outer, first, middle, second, inner]; `swap_axes` copies or adds it
// into [outer, second, middle, first, inner].
struct AxisSwap {
  int64_t outer, first, middle, second, inner;
};

AxisSwap axis_swap(const Shape& shape, int lo, int hi) {
  auto product = [&](int begin, int end) {
    return std::accumulate(shape.begin() + begin, shape.begin() + end, int64_t{1},
                           std::multiplies<>());
  };
  return {product(0, lo), shape[lo], product(lo + 1, hi), shape[hi],
          product(hi + 1, static_cast<int>(shape.size()))};
}

// Copies or adds one row of a head's features. A width known when compiling
// (Width > 0) moves in one or two vector instructions; a loop over a width known
// only at run time spent most of its time in its remainder, and memcpy in its
// call (7-13% of a small model's step went to these copies).
template <int64_t Width>
void move_row(const float* from, float* to, int64_t width, bool accumulate) {
  const int64_t n = Width > 0 ? Width : width;
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) to[i] += from[i];
  else
    for (int64_t i = 0; i < n; ++i) to[i] = from[i];
}

template <int64_t Width>
void swap_axes_of_width(const AxisSwap& s, const float* src, float* dst, bool accumulate) {
  detail::parallel_for(s.outer * s.first, s.middle * s.second * s.inner, [&](int64_t of) {
    const int64_t o = of / s.first, f = of % s.first;
    for (int64_t m = 0; m < s.middle; ++m)
      for (int64_t sec = 0; sec < s.second; ++sec)
        move_row<Width>(src + (((o * s.first + f) * s.middle + m) * s.second + sec) * s.inner,
                        dst + (((o * s.second + sec) * s.middle + m) * s.first + f) * s.inner,
                        s.inner, accumulate);
  });
}

void swap_axes(const AxisSwap& s, const float* src, float* dst, bool accumulate) {
  switch (s.inner) {  // the head widths models use
    case 4:
      return swap_axes_of_width<4>(s, src, dst, accumulate);
    case 8:
      return swap_axes_of_width<8>(s, src, dst, accumulate);
    case 16:
      return swap_axes_of_width<16>(s, src, dst, accumulate);
    case 32:
      return swap_axes_of_width<32>(s, src, dst, accumulate);
    case 64:
      return swap_axes_of_width<64>(s, src, dst, accumulate);
    default:
      return swap_axes_of_width<0>(s, src, dst, accumulate);
  }
}

// [outer, extent * inner] blocks of x along one axis: what concat and slice walk.
struct AxisBlocks {
  int64_t outer, inner;
};

AxisBlocks axis_blocks(const Shape& shape, int axis) {
  AxisBlocks b{1, 1};
  for (int i = 0; i < axis; ++i) b.outer *= shape[i];
  for (int i = axis + 1; i < static_cast<int>(shape.size()); ++i) b.inner *= shape[i];
  return b;
}

}  // namespace

Tensor reshape(const Tensor& x, Shape shape) {
  if (std::any_of(shape.begin(), shape.end(), [](int64_t extent) { return extent < -1; }))
    detail::shape_error("reshape", "extents must be >= 0 (or one -1), got {}", shape_string(shape));
  const auto inferred = std::count(shape.begin(), shape.end(), int64_t{-1});
  if (inferred > 1)
    detail::shape_error("reshape", "at most one -1 allowed in {}", shape_string(shape));
  if (inferred == 1) {
    const int64_t known = -element_count(shape);
    if (known == 0 || x.numel() % known != 0)
      detail::shape_error("reshape", "cannot infer -1 in {} for {} elements", shape_string(shape),
                          x.numel());
    *std::find(shape.begin(), shape.end(), -1) = x.numel() / known;
  }
  if (element_count(shape) != x.numel())
    detail::shape_error("reshape", "cannot reshape {} ({} elements) to {}", shape_string(x.shape()),
                        x.numel(), shape_string(shape));
  // The result shares x's storage: ops never write into their inputs.
  auto node = std::make_shared<detail::Node>();
  node->shape = std::move(shape);
  node->op = "reshape";
  node->value = detail::value_of(x);
  Tensor out(std::move(node));
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x, result = std::weak_ptr(out.node())](const float* g) {
      if (!x.needs_grad()) return;
      // Same values in the same order: the first gradient x receives can be this
      // one's buffer itself, which nothing reads after this. (Never a one-element
      // result: that may be the loss, whose gradient the caller can still read.)
      const auto output = result.lock();
      if (!x.has_grad() && output && output->grad && x.numel() > 1) {
        x.node()->grad = output->grad;
        return;
      }
      detail::array(detail::grad_of(x), x.numel()) += detail::array(g, x.numel());
    });
  return out;
}

Tensor transpose(const Tensor& x, int axis0, int axis1) {
  const int a = detail::resolve_axis("transpose", x, axis0);
  const int b = detail::resolve_axis("transpose", x, axis1);
  if (a == b) return reshape(x, x.shape());
  const int lo = std::min(a, b), hi = std::max(a, b);
  Shape out_shape = x.shape();
  std::swap(out_shape[lo], out_shape[hi]);
  Tensor out = detail::new_output("transpose", out_shape);
  swap_axes(axis_swap(x.shape(), lo, hi), x.data(), out.data(), false);
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x, back = axis_swap(out_shape, lo, hi)](const float* g) {
      if (const detail::GradTarget gx = detail::grad_target(x))
        swap_axes(back, g, gx.data, !gx.overwrite);
    });
  return out;
}

Tensor split_heads(const Tensor& x, int64_t heads) {
  if (x.rank() != 3 || heads <= 0 || x.size(2) % heads != 0)
    detail::shape_error("split_heads", "cannot split {} into {} heads (need [B, T, heads * d])",
                        shape_string(x.shape()), heads);
  // [B, T, h*d] -> [B, T, h, d] -> [B, h, T, d]
  return transpose(reshape(x, {x.size(0), x.size(1), heads, x.size(2) / heads}), 1, 2);
}

Tensor merge_heads(const Tensor& x) {
  if (x.rank() != 4)
    detail::shape_error("merge_heads", "expected [B, heads, T, d], got {}",
                        shape_string(x.shape()));
  // [B, h, T, d] -> [B, T, h, d] -> [B, T, h*d]
  return reshape(transpose(x, 1, 2), {x.size(0), x.size(2), x.size(1) * x.size(3)});
}

Tensor concat(std::span<const Tensor> parts, int axis) {
  if (parts.empty()) detail::shape_error("concat", "needs at least one tensor");
  const int ax = detail::resolve_axis("concat", parts[0], axis);
  Shape reference = parts[0].shape();
  reference[ax] = 0;  // every part must match it on all other axes
  int64_t joined = 0;
  for (const Tensor& p : parts) {
    Shape other = p.shape();
    if (other.size() == reference.size()) other[ax] = 0;
    if (other != reference)
      detail::shape_error("concat", "cannot join {} with {} along axis {}",
                          shape_string(parts[0].shape()), shape_string(p.shape()), axis);
    joined += p.size(ax);
  }
  Shape out_shape = parts[0].shape();
  out_shape[ax] = joined;
  Tensor out = detail::new_output("concat", out_shape);
  const AxisBlocks blocks = axis_blocks(out_shape, ax);
  const int64_t out_row = out_shape[ax] * blocks.inner;
  std::vector<int64_t> offsets;
  int64_t offset = 0;
  for (const Tensor& p : parts) {
    offsets.push_back(offset);
    const int64_t row = p.size(ax) * blocks.inner;
    for (int64_t o = 0; o < blocks.outer; ++o)
      std::memcpy(out.data() + o * out_row + offset, p.data() + o * row,
                  static_cast<std::size_t>(row) * sizeof(float));
    offset += row;
  }
  const bool any_grad = std::any_of(parts.begin(), parts.end(),
                                    [](const Tensor& p) { return detail::needs_backward({&p}); });
  if (!any_grad) return out;
  std::vector<Tensor> inputs(parts.begin(), parts.end());
  detail::record_backward(out, inputs, [inputs, offsets, blocks, out_row, ax](const float* g) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      float* gp = detail::grad_of(inputs[i]);
      if (!gp) continue;
      const int64_t row = inputs[i].size(ax) * blocks.inner;
      for (int64_t o = 0; o < blocks.outer; ++o)
        detail::array(gp + o * row, row) += detail::array(g + o * out_row + offsets[i], row);
    }
  });
  return out;
}

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t length) {
  const int ax = detail::resolve_axis("slice", x, axis);
  if (start < 0 || length < 0 || start + length > x.size(ax))
    detail::shape_error("slice", "range [{}, {}) is outside axis {} of {}", start, start + length,
                        axis, shape_string(x.shape()));
  Shape out_shape = x.shape();
  out_shape[ax] = length;
  Tensor out = detail::new_output("slice", out_shape);
  const AxisBlocks blocks = axis_blocks(x.shape(), ax);
  const int64_t in_row = x.size(ax) * blocks.inner, out_row = length * blocks.inner;
  const int64_t skip = start * blocks.inner;
  for (int64_t o = 0; o < blocks.outer; ++o)
    std::memcpy(out.data() + o * out_row, x.data() + o * in_row + skip,
                static_cast<std::size_t>(out_row) * sizeof(float));
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x, blocks, in_row, out_row, skip](const float* g) {
      float* gx = detail::grad_of(x);
      if (!gx) return;
      for (int64_t o = 0; o < blocks.outer; ++o)
        detail::array(gx + o * in_row + skip, out_row) += detail::array(g + o * out_row, out_row);
    });
  return out;
}

}  // namespace attnlab::ops
