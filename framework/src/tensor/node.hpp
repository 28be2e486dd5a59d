// The autodiff graph node behind every Tensor handle (framework-internal).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "attnlab/tensor.hpp"
#include "tensor/buffer.hpp"

namespace attnlab::detail {

/// Receives the gradient of the node's output and accumulates (+=) into its inputs.
using BackwardFn = std::function<void(const float* grad_output)>;

struct Node {
  Shape shape;
  std::shared_ptr<Buffer> value;
  std::shared_ptr<Buffer> grad;  // allocated (zeroed) when first needed
  bool requires_grad = false;
  const char* op = "leaf";
  std::vector<std::shared_ptr<Node>> inputs;  // kept alive until backward has run
  BackwardFn backward;
  bool released = false;  // backward has run and the closure is gone: no second sweep

  /// The gradient buffer, created zero-filled on first use.
  float* grad_data();
  /// The gradient buffer; when it is created by this call its values are
  /// unspecified and `created` is set: the caller must then write every element.
  float* grad_data_to_overwrite(bool& created);
};

}  // namespace attnlab::detail
