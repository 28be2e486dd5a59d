#include "attnlab/nn/module.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/ops.hpp"

namespace attnlab {
namespace {

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> all;
  for (const auto& [name, tensor] : parameters_) all.emplace_back(join_path(path_, name), tensor);
  for (const auto& [name, child] : children_)
    for (auto& entry : child->named_parameters()) all.push_back(std::move(entry));
  return all;
}

std::vector<Module*> Module::modules() {
  std::vector<Module*> all{this};
  for (const auto& [name, child] : children_)
    for (Module* module : child->modules()) all.push_back(module);
  return all;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> tensors;
  for (auto& [name, tensor] : named_parameters()) tensors.push_back(tensor);
  return tensors;
}

Tensor Module::add_parameter(std::string name, Tensor value) {
  value.requires_grad();
  parameters_.emplace_back(std::move(name), value);
  return value;
}

void Module::add_module(std::string name, Module& child) {
  child.set_path(join_path(path_, name));
  children_.emplace_back(std::move(name), &child);
}

void Module::add_layer(std::string name, Module& child, int64_t index) {
  add_module(std::move(name), child);
  child.set_layer(index);
}

void Module::set_layer(int64_t index) {
  layer_ = index;
  for (auto& [name, child] : children_) child->set_layer(index);
}

void Module::set_path(std::string path) {
  path_ = std::move(path);
  for (auto& [name, child] : children_) child->set_path(join_path(path_, name));
}

Tensor Module::record(const ForwardContext& context, std::string_view name, const Tensor& value,
                      DimensionNames dimensions, Replaceable replaceable) const {
  if (!context.observer || !value.defined()) return value;
  const std::string full_name = join_path(path_, std::string(name));
  if (static_cast<int64_t>(dimensions.size()) != value.rank())
    throw Error(fmt::format(
        "{}: recorded with {} dimension names for a tensor of rank {} (the component that "
        "records it must name each axis)",
        full_name, dimensions.size(), value.rank()));
  const RecordedTensor recorded{full_name, dimensions, layer_, replaceable};
  context.observer->observe(recorded, value);
  if (replaceable == Replaceable::no) return value;
  Tensor replacement = context.observer->replace(recorded, value);
  if (!replacement.defined()) return value;
  if (replacement.shape() != value.shape())
    throw ShapeError(fmt::format("{}: replaced by a tensor of shape {}, but it has shape {}",
                                 full_name, shape_string(replacement.shape()),
                                 shape_string(value.shape())));
  return replacement;
}

Tensor Module::dropout(const ForwardContext& context, const Tensor& x, float p) const {
  if (!context.training || p == 0.0f) return x;
  if (!context.dropout_rng)
    throw Error(fmt::format("{}: training with dropout {} needs a dropout generator in the context",
                            path_, p));
  return ops::dropout(x, p, *context.dropout_rng);
}

}  // namespace attnlab
