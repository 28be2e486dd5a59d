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

TransformerConfig small_decoder_config(int64_t d_model) {
  TransformerConfig c;
  c.vocab_size = 5;
  c.d_model = d_model;
  c.heads = 2;
  c.ffn_dim = 16;
  c.decoder_layers = 1;
  c.max_length = 16;
  return c;
}

}  // namespace attnlab::testing
