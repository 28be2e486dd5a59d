#include "support/modules.hpp"

#include <algorithm>
#include <stdexcept>

namespace attnlab::testing {

void set_parameter(const Module& module, const std::string& name,
                   const std::vector<float>& values) {
  for (auto& [path, tensor] : module.named_parameters()) {
    if (path != name) continue;
    Tensor target = tensor;
    if (static_cast<int64_t>(values.size()) != target.numel())
      throw std::invalid_argument(name + ": wrong number of values");
    std::copy(values.begin(), values.end(), target.data());
    return;
  }
  throw std::invalid_argument("no parameter named " + name);
}

void ActivationLog::observe(const RecordedTensor& recorded, const Tensor& value) {
  const std::string_view name = recorded.name;
  const DimensionNames dimensions = recorded.dimensions;
  tensors[std::string(name)] = Tensor::from_values(value.shape(), value.values());
  dimension_names[std::string(name)] = {dimensions.begin(), dimensions.end()};
}

const Tensor& ActivationLog::at(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw std::invalid_argument("no activation named " + name);
  return it->second;
}

}  // namespace attnlab::testing
