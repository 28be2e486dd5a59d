// Helpers for tests that poke at modules: set parameters by name, keep activations.
#pragma once

#include <attnlab/nn/module.hpp>
#include <map>
#include <string>
#include <vector>

namespace attnlab::testing {

/// Overwrites the parameter called `name` (its full dotted path) with `values`.
void set_parameter(const Module& module, const std::string& name, const std::vector<float>& values);

/// Keeps a copy of every observed activation by name.
class ActivationLog : public ActivationObserver {
 public:
  void observe(const RecordedTensor& recorded, const Tensor& value) override;
  const Tensor& at(const std::string& name) const;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::vector<std::string>> dimension_names;
};

}  // namespace attnlab::testing
