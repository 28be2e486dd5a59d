#include "ops/op_support.hpp"

namespace attnlab::detail {

Tensor new_output(const char* op, const Shape& shape) {
  auto node = std::make_shared<Node>();
  node->shape = shape;
  node->op = op;
  node->value = std::make_shared<Buffer>(element_count(shape));
  return Tensor(std::move(node));
}

bool needs_backward(std::initializer_list<const Tensor*> inputs) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->needs_grad()) return true;
  return false;
}

void record_backward(Tensor& out, std::vector<Tensor> inputs, BackwardFn backward) {
  Node& node = *out.node();
  node.requires_grad = true;
  node.inputs.reserve(inputs.size());
  for (Tensor& input : inputs)
    if (input.defined()) node.inputs.push_back(input.node());
  node.backward = std::move(backward);
}

float* grad_of(const Tensor& t) {
  if (!t.defined() || !t.needs_grad()) return nullptr;
  return t.node()->grad_data();
}

GradTarget grad_target(const Tensor& t) {
  if (!t.defined() || !t.needs_grad()) return {};
  GradTarget target;
  target.data = t.node()->grad_data_to_overwrite(target.overwrite);
  return target;
}

std::shared_ptr<Buffer> value_of(const Tensor& t) {
  return t.node()->value;
}

int resolve_axis(const char* op, const Tensor& x, int axis) {
  const int resolved = axis < 0 ? axis + x.rank() : axis;
  if (resolved < 0 || resolved >= x.rank())
    shape_error(op, "axis {} is out of range for shape {}", axis, shape_string(x.shape()));
  return resolved;
}

}  // namespace attnlab::detail
