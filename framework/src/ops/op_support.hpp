// What every op implementation shares: output allocation, graph recording and
// uniform shape errors. Internal to the framework.
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <memory>
#include <vector>

#include "attnlab/error.hpp"
#include "attnlab/tensor.hpp"
#include "tensor/node.hpp"

namespace attnlab::detail {

/// A fresh result tensor of `op` with uninitialised values.
Tensor new_output(const char* op, const Shape& shape);

/// True when the result must record a backward: grad mode is on and some input needs a gradient.
bool needs_backward(std::initializer_list<const Tensor*> inputs);

/// Attaches inputs and the backward closure to `out` (call only if needs_backward).
void record_backward(Tensor& out, std::vector<Tensor> inputs, BackwardFn backward);

/// The gradient buffer of `t` (zero-filled on first use) or nullptr if t needs none.
/// Backward closures must check: a user may switch a gradient off after the op
/// was recorded (freezing a parameter between forward and backward).
float* grad_of(const Tensor& t);

/// Where a backward writes the gradient of a tensor whose every element it
/// writes. Most intermediate gradients are created by the first op that writes
/// them: that op assigns instead of adding, so the buffer is never zero-filled
/// first (a full pass over memory per tensor per step). `data` is nullptr when
/// t needs no gradient. Take the target just before writing it: a second target
/// of the same tensor (an op whose two inputs are one tensor) must see the
/// first one's values.
struct GradTarget {
  float* data = nullptr;
  bool overwrite = false;  // the buffer is new: assign, do not add
  explicit operator bool() const { return data != nullptr; }
};
GradTarget grad_target(const Tensor& t);

/// dst = src when overwriting a new gradient buffer, else dst += src.
template <class Dst, class Src>
void store_grad(bool overwrite, Dst&& dst, const Src& src) {
  if (overwrite)
    dst = src;
  else
    dst += src;
}

/// target[i] = value(i) for i in [begin, end) when overwriting, else +=; the
/// choice is made once, outside the loop, so each loop stays vectorisable.
template <class Value>
void store_grad_range(const GradTarget& target, int64_t begin, int64_t end, const Value& value) {
  if (target.overwrite)
    for (int64_t i = begin; i < end; ++i) target.data[i] = value(i);
  else
    for (int64_t i = begin; i < end; ++i) target.data[i] += value(i);
}

/// The value storage of `t`, for a backward closure that needs the op's output
/// without holding the output node itself (which would form a cycle).
std::shared_ptr<Buffer> value_of(const Tensor& t);

/// Throws ShapeError "<op>: <message>".
template <class... Args>
[[noreturn]] void shape_error(const char* op, fmt::format_string<Args...> format, Args&&... args) {
  throw ShapeError(fmt::format("{}: {}", op, fmt::format(format, std::forward<Args>(args)...)));
}

/// Resolves a possibly negative axis, or throws naming the op and the shape.
int resolve_axis(const char* op, const Tensor& x, int axis);

}  // namespace attnlab::detail
