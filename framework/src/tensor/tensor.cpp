#include "attnlab/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "attnlab/error.hpp"
#include "tensor/node.hpp"

namespace attnlab {

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;
  return count;
}

std::string shape_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

namespace {

std::shared_ptr<detail::Node> new_leaf(const Shape& shape) {
  for (int64_t extent : shape)
    if (extent < 0)
      throw ShapeError(fmt::format("tensor shape {} has a negative extent", shape_string(shape)));
  auto node = std::make_shared<detail::Node>();
  node->shape = shape;
  node->value = std::make_shared<detail::Buffer>(element_count(shape));
  return node;
}

const detail::Node& checked(const std::shared_ptr<detail::Node>& node) {
  if (!node) throw Error("use of an undefined (default-constructed) Tensor");
  return *node;
}

thread_local bool tl_grad_mode = true;

}  // namespace

Tensor Tensor::zeros(const Shape& shape) {
  return full(shape, 0.0f);
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t(new_leaf(shape));
  std::fill_n(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::from_values(const Shape& shape, std::span<const float> values) {
  if (static_cast<int64_t>(values.size()) != element_count(shape))
    throw ShapeError(fmt::format("from_values: shape {} needs {} values, got {}",
                                 shape_string(shape), element_count(shape), values.size()));
  Tensor t(new_leaf(shape));
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

const Shape& Tensor::shape() const {
  return checked(node_).shape;
}
int Tensor::rank() const {
  return static_cast<int>(shape().size());
}
int64_t Tensor::numel() const {
  return element_count(shape());
}

int64_t Tensor::size(int axis) const {
  const int r = rank();
  const int resolved = axis < 0 ? axis + r : axis;
  if (resolved < 0 || resolved >= r)
    throw ShapeError(fmt::format("axis {} is out of range for a tensor of shape {}", axis,
                                 shape_string(shape())));
  return shape()[resolved];
}

float* Tensor::data() {
  return checked(node_).value->data();
}
const float* Tensor::data() const {
  return checked(node_).value->data();
}
std::span<float> Tensor::values() {
  return {data(), static_cast<std::size_t>(numel())};
}
std::span<const float> Tensor::values() const {
  return {data(), static_cast<std::size_t>(numel())};
}
std::vector<float> Tensor::to_vector() const {
  return {data(), data() + numel()};
}

float Tensor::item() const {
  if (numel() != 1)
    throw ShapeError(
        fmt::format("item() needs a one-element tensor, got shape {}", shape_string(shape())));
  return data()[0];
}

Tensor& Tensor::requires_grad(bool on) {
  checked(node_);
  node_->requires_grad = on;
  return *this;
}

bool Tensor::needs_grad() const {
  return checked(node_).requires_grad;
}
bool Tensor::has_grad() const {
  return checked(node_).grad != nullptr;
}

std::span<const float> Tensor::grad() const {
  const auto& node = checked(node_);
  if (!node.grad) return {};
  return {node.grad->data(), static_cast<std::size_t>(numel())};
}

std::span<float> Tensor::mutable_grad() {
  checked(node_);
  return {node_->grad_data(), static_cast<std::size_t>(numel())};
}

void Tensor::zero_grad() {
  checked(node_);
  if (node_->grad) node_->grad->fill_zero();
}

Tensor Tensor::detach() const {
  const auto& node = checked(node_);
  auto copy = std::make_shared<detail::Node>();
  copy->shape = node.shape;
  copy->value = node.value;
  return Tensor(std::move(copy));
}

NoGradGuard::NoGradGuard() : previous_(tl_grad_mode) {
  tl_grad_mode = false;
}
NoGradGuard::~NoGradGuard() {
  tl_grad_mode = previous_;
}
bool grad_mode_enabled() {
  return tl_grad_mode;
}

}  // namespace attnlab
