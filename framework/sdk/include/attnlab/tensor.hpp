// attnlab tensors: float32, row-major, contiguous, with reverse-mode autodiff.
//
// A Tensor is a cheap handle (a shared pointer) to a node of the autodiff graph.
// Ops in <attnlab/ops.hpp> read their inputs' values, write a new node and,
// when any input requires a gradient, remember how to send gradients back.
// Calling backward() on a scalar walks the graph in reverse topological order
// and accumulates (+=) into the grad() of every leaf that requires one
// (parameters); intermediate gradients are freed with the graph, and a graph
// can be swept only once (a second backward() through it throws).
//
// Memory layout: the last axis is contiguous; element (i0, ..., in) of a tensor
// of shape (d0, ..., dn) sits at offset ((i0 * d1 + i1) * d2 + ...) * dn + in.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace attnlab {

using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for the empty shape, a scalar).
int64_t element_count(const Shape& shape);
/// "[2, 3, 4]": the form every shape takes in an error message.
std::string shape_string(const Shape& shape);

namespace detail {
struct Node;
}

class Tensor {
 public:
  Tensor() = default;

  /// A new tensor filled with zeros / with `value`; no gradient unless asked.
  static Tensor zeros(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  /// Copies `values` (row-major, element_count(shape) of them).
  static Tensor from_values(const Shape& shape, std::span<const float> values);

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  int rank() const;
  /// Size of one axis; negative axes count from the end (-1 = last).
  int64_t size(int axis) const;
  int64_t numel() const;

  float* data();
  const float* data() const;
  std::span<float> values();
  std::span<const float> values() const;
  std::vector<float> to_vector() const;
  /// The value of a one-element tensor.
  float item() const;

  /// Marks a leaf as a trainable variable: backward() fills its grad().
  Tensor& requires_grad(bool on = true);
  bool needs_grad() const;
  /// Accumulated gradient, same shape as the tensor; empty until backward reaches it.
  std::span<const float> grad() const;
  std::span<float> mutable_grad();
  bool has_grad() const;
  void zero_grad();

  /// Backpropagates from this one-element tensor (seed gradient 1) and frees the graph.
  void backward();
  /// Same values, cut from the graph (shares storage).
  Tensor detach() const;

  /// For op implementations (framework/src/ops): the underlying node.
  const std::shared_ptr<detail::Node>& node() const { return node_; }
  explicit Tensor(std::shared_ptr<detail::Node> node) : node_(std::move(node)) {}

 private:
  std::shared_ptr<detail::Node> node_;
};

/// While alive, ops on this thread record no graph (inference, evaluation).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Whether ops on this thread currently record the graph.
bool grad_mode_enabled();

}  // namespace attnlab
