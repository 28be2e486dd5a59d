#include "support/models.hpp"

#include "support/gradcheck.hpp"

namespace attnlab::testing {

TransformerConfig tiny_config() {
  TransformerConfig c;
  c.vocab_size = 7;
  c.target_vocab_size = 6;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 16;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.num_classes = 3;
  c.max_length = 16;
  c.activation = Activation::gelu;
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
