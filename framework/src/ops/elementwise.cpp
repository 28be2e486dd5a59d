// Binary elementwise ops with NumPy broadcasting, and scalar ops. The common case
// (the second shape a suffix of the first: a bias, a [T, S] mask) has a fast
// parallel path; any other broadcast walks both operands with strides.
#include <algorithm>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {
namespace {

using detail::grad_of;

bool is_suffix(const Shape& a, const Shape& b) {
  return b.size() <= a.size() && std::equal(b.rbegin(), b.rend(), a.rbegin());
}

// The result shape of broadcasting a with b and, per result axis, the step each
// operand takes along it (0 where it is broadcast).
struct Broadcast {
  Shape shape;
  std::vector<int64_t> step_a, step_b;
};

Broadcast broadcast(const char* op, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Broadcast result{Shape(rank), std::vector<int64_t>(rank), std::vector<int64_t>(rank)};
  int64_t stride_a = 1, stride_b = 1;
  for (std::size_t i = 0; i < rank; ++i) {  // from the last axis backwards
    const std::size_t axis = rank - 1 - i;
    const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      detail::shape_error(op, "cannot broadcast {} with {} (axes must match or be 1)",
                          shape_string(a), shape_string(b));
    result.shape[axis] = da == 1 ? db : da;
    result.step_a[axis] = da == 1 ? 0 : stride_a;
    result.step_b[axis] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }
  return result;
}

// visit(out_index, a_index, b_index, count) for every run of `count` result
// elements along the last axis, in order; along a run the result steps by 1
// and each operand by its step_a / step_b on the last axis (1, or 0 where it
// is broadcast). Whole runs keep the walk's bookkeeping off each element.
template <class Visit>
void for_each_run(const Broadcast& bc, const Visit& visit) {
  const int64_t total = element_count(bc.shape);
  if (total == 0) return;
  if (bc.shape.empty()) return visit(0, 0, 0, 1);
  const std::size_t outer_rank = bc.shape.size() - 1;
  const int64_t run = bc.shape.back();
  std::vector<int64_t> index(outer_rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < total; o += run) {
    visit(o, ia, ib, run);
    for (std::size_t d = outer_rank; d-- > 0;) {
      ia += bc.step_a[d];
      ib += bc.step_b[d];
      if (++index[d] < bc.shape[d]) break;
      ia -= bc.step_a[d] * bc.shape[d];
      ib -= bc.step_b[d] * bc.shape[d];
      index[d] = 0;
    }
  }
}

// visit(j, j_a, j_b) for the elements of one run: j_a = j * step_a, j_b = j *
// step_b, with the common case of both operands contiguous in a loop of its own
// (which the compiler vectorises).
template <class Visit>
void for_each_in_run(int64_t count, int64_t step_a, int64_t step_b, const Visit& visit) {
  if (step_a == 1 && step_b == 1) {
    for (int64_t j = 0; j < count; ++j) visit(j, j, j);
    return;
  }
  for (int64_t j = 0; j < count; ++j) visit(j, j * step_a, j * step_b);
}

template <class Forward, class GradA, class GradB>
Tensor strided_binary(const char* op, const Tensor& a, const Tensor& b, Forward forward,
                      GradA grad_a, GradB grad_b) {
  const Broadcast bc = broadcast(op, a.shape(), b.shape());
  Tensor out = detail::new_output(op, bc.shape);
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  const int64_t last_a = bc.step_a.empty() ? 0 : bc.step_a.back();
  const int64_t last_b = bc.step_b.empty() ? 0 : bc.step_b.back();
  for_each_run(bc, [&](int64_t o, int64_t ia, int64_t ib, int64_t count) {
    for_each_in_run(count, last_a, last_b, [&](int64_t j, int64_t ja, int64_t jb) {
      po[o + j] = forward(pa[ia + ja], pb[ib + jb]);
    });
  });
  if (!detail::needs_backward({&a, &b})) return out;
  detail::record_backward(out, {a, b}, [a, b, bc, last_a, last_b, grad_a, grad_b](const float* g) {
    const float* va = a.data();
    const float* vb = b.data();
    float* ga = grad_of(a);
    float* gb = grad_of(b);
    // Serial: broadcast operands receive from many result elements, each
    // element's sum in the order of the result.
    for_each_run(bc, [&](int64_t o, int64_t ia, int64_t ib, int64_t count) {
      if (ga)
        for_each_in_run(count, last_a, last_b, [&](int64_t j, int64_t ja, int64_t jb) {
          ga[ia + ja] += grad_a(g[o + j], va[ia + ja], vb[ib + jb]);
        });
      if (gb)
        for_each_in_run(count, last_a, last_b, [&](int64_t j, int64_t ja, int64_t jb) {
          gb[ib + jb] += grad_b(g[o + j], va[ia + ja], vb[ib + jb]);
        });
    });
  });
  return out;
}

// Both operands of one shape (a residual sum, a dropout mask): chunks of the
// flat arrays in parallel, each gradient written whole by one loop.
template <class Forward, class GradA, class GradB>
Tensor same_shape_binary(const char* op, const Tensor& a, const Tensor& b, Forward forward,
                         GradA grad_a, GradB grad_b) {
  const int64_t n = a.numel();
  Tensor out = detail::new_output(op, a.shape());
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  detail::parallel_chunks(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) po[i] = forward(pa[i], pb[i]);
  });
  if (!detail::needs_backward({&a, &b})) return out;
  detail::record_backward(out, {a, b}, [a, b, n, grad_a, grad_b](const float* g) {
    const float* va = a.data();
    const float* vb = b.data();
    auto write = [&](const detail::GradTarget& target, const auto& partial) {
      detail::parallel_chunks(n, [&](int64_t begin, int64_t end) {
        detail::store_grad_range(target, begin, end,
                                 [&](int64_t i) { return partial(g[i], va[i], vb[i]); });
      });
    };
    if (const detail::GradTarget ga = detail::grad_target(a)) write(ga, grad_a);
    if (const detail::GradTarget gb = detail::grad_target(b)) write(gb, grad_b);
  });
  return out;
}

// dA and dB are functors (grad, a, b) -> partial derivative contribution.
template <class Forward, class GradA, class GradB>
Tensor binary(const char* op, const Tensor& a, const Tensor& b, Forward forward, GradA grad_a,
              GradB grad_b) {
  if (a.shape() == b.shape()) return same_shape_binary(op, a, b, forward, grad_a, grad_b);
  if (!is_suffix(a.shape(), b.shape())) return strided_binary(op, a, b, forward, grad_a, grad_b);
  // Fast path: a is [outer, inner] and b is [inner].
  const int64_t inner = b.numel();
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
    if (const detail::GradTarget ga = detail::grad_target(a)) {
      detail::parallel_for(outer, inner, [&](int64_t row) {
        const int64_t base = row * inner;
        detail::store_grad_range(ga, base, base + inner,
                                 [&](int64_t i) { return grad_a(g[i], va[i], vb[i - base]); });
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
      if (const detail::GradTarget ga = detail::grad_target(a))
        detail::store_grad(ga.overwrite, detail::array(ga.data, a.numel()),
                           detail::array(g, a.numel()) * factor);
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

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  if (condition.shape() != a.shape() || a.shape() != b.shape())
    detail::shape_error("where", "condition {}, a {} and b {} must have one shape",
                        shape_string(condition.shape()), shape_string(a.shape()),
                        shape_string(b.shape()));
  Tensor out = detail::new_output("where", a.shape());
  const int64_t n = a.numel();
  const float *pc = condition.data(), *pa = a.data(), *pb = b.data();
  float* po = out.data();
  for (int64_t i = 0; i < n; ++i) po[i] = pc[i] != 0.0f ? pa[i] : pb[i];
  if (!detail::needs_backward({&a, &b})) return out;
  // The unchosen side gets exactly no gradient (not 0 times it: it may be inf).
  detail::record_backward(out, {a, b}, [condition, a, b, n](const float* g) {
    const float* chosen = condition.data();
    if (float* ga = grad_of(a))
      for (int64_t i = 0; i < n; ++i)
        if (chosen[i] != 0.0f) ga[i] += g[i];
    if (float* gb = grad_of(b))
      for (int64_t i = 0; i < n; ++i)
        if (chosen[i] == 0.0f) gb[i] += g[i];
  });
  return out;
}

}  // namespace attnlab::ops
