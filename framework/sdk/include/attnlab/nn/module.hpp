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

#include "attnlab/nn/dimension_names.hpp"
#include "attnlab/tensor.hpp"

namespace attnlab {

/// The random generator used for initialisation and dropout; seeded explicitly.
using Rng = std::mt19937_64;

/// The names of a recorded tensor's dimensions, outermost first, given where it
/// is recorded (e.g. {dims::example, dims::head, dims::query, dims::key}; the
/// built-ins' names are declared in nn/dimension_names.hpp). An "example" first
/// means one row per input sequence; anything else is the same for every
/// example. Valid for the call it is passed to only.
using DimensionNames = std::span<const std::string_view>;

/// Whether the forward pass goes on computing from a recorded tensor, so that
/// an observer may replace it (activation patching): declared where it is recorded.
enum class Replaceable : bool { no, yes };

/// What an observer is told of a recorded tensor, all of it declared where the
/// tensor is made: nothing is to be parsed from its name. Valid for the call only.
struct RecordedTensor {
  std::string_view name;      // full dotted name, e.g. "encoder.layers.0.self_attn.weights"
  DimensionNames dimensions;  // as many as the value's rank
  int64_t layer = -1;         // the layer of the stack that made it; -1 outside layers
  Replaceable replaceable = Replaceable::yes;
};

/// Receives named intermediate tensors during a forward pass (activation recording).
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  virtual void observe(const RecordedTensor& recorded, const Tensor& value) = 0;
  /// Called after observe() for a replaceable tensor only: a tensor of the same
  /// shape for the forward pass to continue with instead of `value`, or an
  /// undefined Tensor to keep it (the default).
  virtual Tensor replace(const RecordedTensor& recorded, const Tensor& value) {
    (void)recorded, (void)value;
    return Tensor();
  }
};

/// Per-call state of a forward pass.
struct ForwardContext {
  bool training = false;
  Rng* dropout_rng = nullptr;              // required when training with dropout > 0
  ActivationObserver* observer = nullptr;  // optional
  Rng* position_rng = nullptr;  // randomized positions' draws while training (else a fixed stream)
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
  /// The index of the stack layer this module belongs to (add_layer), or -1.
  int64_t layer() const { return layer_; }

 protected:
  /// Registers a trainable tensor (marks it as requiring a gradient).
  Tensor add_parameter(std::string name, Tensor value);
  /// Registers a child; it must live as long as this module (a member or owned pointer).
  void add_module(std::string name, Module& child);
  /// Registers layer `index` of a stack: the child and everything under it
  /// report that layer with what they record (RecordedTensor::layer).
  void add_layer(std::string name, Module& child, int64_t index);
  /// Reports `value` as "<path>.<name>" with its dimension names, this module's
  /// layer and whether it is `replaceable` to the context's observer, if any,
  /// and returns what the forward pass continues with: `value`, or for a
  /// replaceable tensor the observer's replacement (ActivationObserver::replace;
  /// ShapeError if its shape differs). Throws Error if there are not as many
  /// names as dimensions. Only a tensor the forward pass goes on computing
  /// from, through what record() returns, may be declared Replaceable::yes;
  /// by default a tensor is only observed (a promise not made is not kept).
  Tensor record(const ForwardContext& context, std::string_view name, const Tensor& value,
                DimensionNames dimensions, Replaceable replaceable = Replaceable::no) const;
  /// The same with the names written out: record(context, "w", w, {dims::example, dims::head}).
  Tensor record(const ForwardContext& context, std::string_view name, const Tensor& value,
                std::initializer_list<std::string_view> dimensions,
                Replaceable replaceable = Replaceable::no) const {
    return record(context, name, value, DimensionNames(dimensions.begin(), dimensions.size()),
                  replaceable);
  }
  /// Applies dropout when training, identity otherwise.
  Tensor dropout(const ForwardContext& context, const Tensor& x, float p) const;

 private:
  void set_path(std::string path);
  void set_layer(int64_t index);

  std::string path_;
  int64_t layer_ = -1;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Module*>> children_;
};

}  // namespace attnlab
