// Reverse-mode sweep over the graph recorded by the ops.
#include <fmt/format.h>

#include <unordered_set>

#include "attnlab/error.hpp"
#include "attnlab/tensor.hpp"
#include "tensor/node.hpp"

namespace attnlab {

float* detail::Node::grad_data() {
  if (!grad) {
    grad = std::make_shared<Buffer>(element_count(shape));
    grad->fill_zero();
  }
  return grad->data();
}

float* detail::Node::grad_data_to_overwrite(bool& created) {
  created = !grad;
  if (created) grad = std::make_shared<Buffer>(element_count(shape));
  return grad->data();
}

namespace {

[[noreturn]] void throw_released() {
  throw Error(
      "backward() reached a graph that an earlier backward() already freed; compute the loss "
      "again (or sum the losses and call backward() once)");
}

// Nodes with a backward function, every node after all nodes it feeds (reverse
// topological order). Owning pointers: the sweep frees edges while it walks.
std::vector<std::shared_ptr<detail::Node>> backward_order(
    const std::shared_ptr<detail::Node>& root) {
  std::vector<std::shared_ptr<detail::Node>> post_order;
  std::unordered_set<detail::Node*> visited;
  std::vector<std::pair<std::shared_ptr<detail::Node>, std::size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const auto& input = node->inputs[next_input++];
      if (input->released) throw_released();
      if (input->backward && visited.insert(input.get()).second) stack.emplace_back(input, 0);
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

}  // namespace

void Tensor::backward() {
  if (numel() != 1)
    throw ShapeError(fmt::format("backward() starts from a one-element loss, got shape {}",
                                 shape_string(shape())));
  if (!node_->requires_grad)
    throw Error("backward(): the loss does not depend on any tensor that requires a gradient");
  if (node_->released) throw_released();
  node_->grad_data()[0] += 1.0f;
  if (!node_->backward) return;
  for (const auto& node : backward_order(node_)) {
    if (node->grad) node->backward(node->grad->data());
    // Free the graph as we go: intermediate values and gradients return to the pool.
    node->backward = nullptr;
    node->inputs.clear();
    node->released = true;
    if (node != node_) node->grad.reset();
  }
}

}  // namespace attnlab
