// Module: a named tree of parameters. The dotted path of a parameter
// ("decoder.layers.0.self_attn.q_proj.weight") is its checkpoint key and,
// for activations, the prefix of their recording names.
#pragma once

#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

/// The random generator used for initialisation and dropout; seeded explicitly.
using Rng = std::mt19937_64;

/// The names of a recorded tensor's dimensions, outermost first, given where it
/// is recorded (e.g. {"example", "head", "query", "key"}; docs/hdf5-layout.md
/// lists the names the built-ins use). An "example" first means one row per
/// input sequence; anything else is the same for every example. Valid for the
/// call it is passed to only.
using DimensionNames = std::span<const std::string_view>;

/// Receives named intermediate tensors during a forward pass (activation recording).
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  /// Full dotted name, e.g. "encoder.layers.0.self_attn.weights", and the value's
  /// dimension names (as many as its rank).
  virtual void observe(std::string_view name, const Tensor& value, DimensionNames dimensions) = 0;
  /// Called after observe(): a tensor of the same shape for the forward pass to
  /// continue with instead of `value` (activation patching), or an undefined
  /// Tensor to keep it (the default). Only tensors the model goes on computing
  /// from can be replaced (docs/analysis.md lists them).
  virtual Tensor replace(std::string_view name, const Tensor& value) {
    (void)name, (void)value;
    return Tensor();
  }
};

/// Per-call state of a forward pass.
struct ForwardContext {
  bool training = false;
  Rng* dropout_rng = nullptr;              // required when training with dropout > 0
  ActivationObserver* observer = nullptr;  // optional
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Children are registered by address, so modules never move.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Every parameter under its dotted path, in registration order.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  /// This module's dotted path ("" for the root).
  const std::string& path() const { return path_; }
  /// This module and every module under it, depth first in registration order
  /// (what interventions look modules up in by path).
  std::vector<Module*> modules();

 protected:
  /// Registers a trainable tensor (marks it as requiring a gradient).
  Tensor add_parameter(std::string name, Tensor value);
  /// Registers a child; it must live as long as this module (a member or owned pointer).
  void add_module(std::string name, Module& child);
  /// Reports `value` as "<path>.<name>" with its dimension names to the context's
  /// observer, if any, and returns what the forward pass continues with: `value`,
  /// or the observer's replacement (ActivationObserver::replace; ShapeError if its
  /// shape differs). Throws Error if there are not as many names as dimensions.
  Tensor record(const ForwardContext& context, std::string_view name, const Tensor& value,
                DimensionNames dimensions) const;
  /// The same with the names written out: record(context, "w", w, {"example", "head"}).
  Tensor record(const ForwardContext& context, std::string_view name, const Tensor& value,
                std::initializer_list<std::string_view> dimensions) const {
    return record(context, name, value, DimensionNames(dimensions.begin(), dimensions.size()));
  }
  /// Applies dropout when training, identity otherwise.
  Tensor dropout(const ForwardContext& context, const Tensor& x, float p) const;

 private:
  void set_path(std::string path);

  std::string path_;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Module*>> children_;
};

}  // namespace attnlab
