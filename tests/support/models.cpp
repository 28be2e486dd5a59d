#include "support/models.hpp"

#include <attnlab/conformance/conformance.hpp>

#include "support/gradcheck.hpp"

namespace attnlab::testing {

TransformerConfig tiny_config() {
  TransformerConfig c = conformance::small_model_config();
  c.target_vocab_size = 6;
  c.num_classes = 3;
  return c;
}

double model_gradient_error(const Module& model, const std::function<Tensor()>& forward,
                            std::string* report, int64_t max_elements) {
  std::vector<GradCheckInput> inputs;
  for (auto& [name, tensor] : model.named_parameters()) inputs.push_back({name, tensor});
  GradCheckOptions options;
  options.max_elements = max_elements;
  options.step = 8e-2;
  options.norm_floor = 0.1;
  return gradient_error(forward, inputs, options, report);
}

}  // namespace attnlab::testing
