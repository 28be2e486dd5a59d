// Parity with PyTorch 1.13: attnlab's attention and Transformer layers, and the
// attention variants, positional encodings and head layouts plugged into attention,
// loaded with the parameters of a torch reference, must reproduce its outputs,
// attention weights and gradients. The reference is written by make_torch_reference.py
// (layout in README.md) and found through ATTNLAB_TORCH_REFERENCE.
#include <algorithm>
#include <attnlab/attention/head_layout.hpp>
#include <attnlab/attention/multi_head_attention.hpp>
#include <attnlab/io/hdf5_file.hpp>
#include <attnlab/model/layers.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/registry/registry.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "support/modules.hpp"

using namespace attnlab;

namespace {

// Both sides compute in float32 with D = 16, so the outputs differ only by
// rounding; gradients pass through more ops and reach magnitudes of ~10.
// linear_h4 needs nothing looser: attnlab's quadratic form and the reference's
// linear-time (prefix-sum) form differ by ~1e-7 at these sizes.
constexpr float output_tolerance = 1e-5f;
constexpr float gradient_tolerance = 1e-4f;

// The layers are compared without positional information (torch's layers have none).
const PositionalEncoding kNoPositions;

constexpr const char* reference_variable = "ATTNLAB_TORCH_REFERENCE";

std::string reference_path() {
  const char* path = std::getenv(reference_variable);
  if (path == nullptr || *path == '\0')
    FAIL(reference_variable << " is not set: it must name the HDF5 file written by "
                               "tests/parity/make_torch_reference.py (CTest sets it up)");
  if (!std::filesystem::exists(path))
    FAIL(reference_variable << " names " << path
                            << ", which does not exist; regenerate it with "
                               "/usr/bin/python3 tests/parity/make_torch_reference.py "
                            << path);
  return path;
}

float max_abs_difference(std::span<const float> actual, std::span<const float> expected) {
  float largest = 0.0f;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const float difference = std::abs(actual[i] - expected[i]);
    // A NaN never compares greater, so it must be made visible on its own.
    if (std::isnan(difference)) return difference;
    largest = std::max(largest, difference);
  }
  return largest;
}

/// Checks a tensor (or a gradient, with the shape of its tensor) against torch's.
void check_close(const std::string& what, const Shape& shape, std::span<const float> actual,
                 const Tensor& expected, float tolerance) {
  INFO(what << ": attnlab " << shape_string(shape) << ", torch " << shape_string(expected.shape()));
  REQUIRE(shape == expected.shape());
  REQUIRE(static_cast<int64_t>(actual.size()) == expected.numel());
  const float difference = max_abs_difference(actual, expected.values());
  INFO(what << ": max |attnlab - torch| = " << difference << " (tolerance " << tolerance << ")");
  CHECK(difference <= tolerance);
}

std::vector<std::string> module_parameter_names(const Module& module) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : module.named_parameters()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

/// A module whose parameters the reference stores as params/<prefix><name> (and
/// grad/<prefix><name>): the attention under "", its positional encoding under "positional.".
struct StoredModule {
  const Module* module;
  std::string prefix;
};

/// Overwrites every parameter of the modules with torch's; the two name sets must be equal,
/// so neither a parameter torch lacks nor one attnlab forgot goes unnoticed.
void load_parameters(const Hdf5File& file, const std::string& case_name,
                     const std::vector<StoredModule>& modules) {
  const std::string group = case_name + "/params";
  const std::vector<std::string> expected_names = file.children(group);
  std::vector<std::string> names;
  for (const StoredModule& stored : modules)
    for (const std::string& name : module_parameter_names(*stored.module))
      names.push_back(stored.prefix + name);
  std::sort(names.begin(), names.end());
  REQUIRE(names == expected_names);
  for (const StoredModule& stored : modules)
    for (const auto& [name, tensor] : stored.module->named_parameters()) {
      const Tensor value = file.read_tensor(group + "/" + stored.prefix + name);
      // set_parameter checks only the element count: a transposed weight would slip through.
      INFO("parameter " << stored.prefix << name);
      REQUIRE(value.shape() == tensor.shape());
      testing::set_parameter(*stored.module, name, value.to_vector());
    }
}

void load_parameters(const Hdf5File& file, const std::string& case_name, const Module& module) {
  load_parameters(file, case_name, std::vector<StoredModule>{StoredModule{&module, ""}});
}

/// The case's inputs by name ("x", and "memory" for cross-attention), as variables.
std::map<std::string, Tensor> load_inputs(const Hdf5File& file, const std::string& case_name) {
  std::map<std::string, Tensor> inputs;
  for (const std::string& name : file.children(case_name + "/inputs")) {
    Tensor input = file.read_tensor(case_name + "/inputs/" + name);
    input.requires_grad();
    inputs.emplace(name, input);
  }
  return inputs;
}

AttentionMask load_mask(const Hdf5File& file, const std::string& case_name) {
  AttentionMask mask;
  mask.causal =
      file.has_attribute(case_name, "causal") && file.int_attribute(case_name, "causal") != 0;
  if (file.contains(case_name + "/key_lengths"))
    mask.key_lengths = file.read_ints(case_name + "/key_lengths");
  return mask;
}

void check_gradient(const Hdf5File& file, const std::string& case_name, const std::string& name,
                    const Tensor& variable) {
  INFO("gradient of " << name);
  REQUIRE(variable.has_grad());
  check_close("grad/" + name, variable.shape(), variable.grad(),
              file.read_tensor(case_name + "/grad/" + name), gradient_tolerance);
}

/// Compares the output, then backpropagates sum(output * G) with torch's G and
/// compares the gradient of every input and parameter.
void check_output_and_gradients(const Hdf5File& file, const std::string& case_name,
                                const Tensor& output, const std::map<std::string, Tensor>& inputs,
                                const std::vector<StoredModule>& modules) {
  check_close("output", output.shape(), output.values(), file.read_tensor(case_name + "/output"),
              output_tolerance);
  const Tensor upstream = file.read_tensor(case_name + "/upstream");
  ops::sum(ops::mul(output, upstream)).backward();

  std::set<std::string> checked;
  for (const auto& [name, input] : inputs) {
    check_gradient(file, case_name, name, input);
    checked.insert(name);
  }
  for (const StoredModule& module : modules)
    for (const auto& [name, parameter] : module.module->named_parameters()) {
      check_gradient(file, case_name, module.prefix + name, parameter);
      checked.insert(module.prefix + name);
    }
  const std::vector<std::string> stored = file.children(case_name + "/grad");
  CHECK(std::set<std::string>(stored.begin(), stored.end()) == checked);
}

void check_output_and_gradients(const Hdf5File& file, const std::string& case_name,
                                const Tensor& output, const std::map<std::string, Tensor>& inputs,
                                const Module& module) {
  check_output_and_gradients(file, case_name, output, inputs,
                             std::vector<StoredModule>{StoredModule{&module, ""}});
}

/// One MultiHeadAttention case: self-attention when the case has no "memory" input.
void check_attention_case(const std::string& case_name) {
  INFO("reference case " << case_name);
  const Hdf5File file(reference_path(), Hdf5File::Mode::read);
  Rng rng(1);
  const MultiHeadAttention attention(file.int_attribute(case_name, "d_model"),
                                     file.int_attribute(case_name, "heads"), 0.0f, rng);
  load_parameters(file, case_name, attention);
  const std::map<std::string, Tensor> inputs = load_inputs(file, case_name);
  const Tensor& x = inputs.at("x");
  const Tensor& key_value = inputs.count("memory") != 0 ? inputs.at("memory") : x;

  testing::ActivationLog log;
  const Tensor output =
      attention.forward(x, key_value, load_mask(file, case_name),
                        {.training = false, .dropout_rng = nullptr, .observer = &log});
  const Tensor& weights = log.at("weights");
  check_close("weights", weights.shape(), weights.values(),
              file.read_tensor(case_name + "/weights"), output_tolerance);
  check_close("output vs nn.MultiheadAttention", output.shape(), output.values(),
              file.read_tensor(case_name + "/output_torch_mha"), output_tolerance);
  check_output_and_gradients(file, case_name, output, inputs, attention);
}

/// The parameters a case gives its attention variant or positional encoding:
/// the attribute "<kind>_parameters", "name=value,name=value" (none if absent).
std::map<std::string, std::string> component_parameters(const Hdf5File& file,
                                                        const std::string& case_name,
                                                        const std::string& kind) {
  std::map<std::string, std::string> parameters;
  const std::string attribute = kind + "_parameters";
  if (!file.has_attribute(case_name, attribute)) return parameters;
  std::stringstream list(file.string_attribute(case_name, attribute));
  for (std::string item; std::getline(list, item, ',');) {
    const std::size_t equals = item.find('=');
    REQUIRE(equals != std::string::npos);
    parameters[item.substr(0, equals)] = item.substr(equals + 1);
  }
  return parameters;
}

/// A component_case of make_torch_reference.py: self-attention with the case's attention
/// variant, positional encoding ("none": no positions) and key/value head count, each
/// built through its registry as a model builds it.
void check_component_case(const std::string& case_name) {
  INFO("reference case " << case_name);
  const Hdf5File file(reference_path(), Hdf5File::Mode::read);
  Rng rng(1);
  const int64_t d_model = file.int_attribute(case_name, "d_model");
  const HeadDimensions dimensions{.query_heads = file.int_attribute(case_name, "heads"),
                                  .kv_heads = file.int_attribute(case_name, "kv_heads"),
                                  .head_width = file.int_attribute(case_name, "head_width"),
                                  .kv_latent = file.has_attribute(case_name, "kv_latent")
                                                   ? file.int_attribute(case_name, "kv_latent")
                                                   : 0};
  const std::string variant = file.string_attribute(case_name, "attention");
  const MultiHeadAttention attention(d_model, dimensions, 0.0f, rng,
                                     {variant, component_parameters(file, case_name, "attention")});
  std::vector<StoredModule> modules{StoredModule{&attention, ""}};

  // Parameters the reference chose are passed as a configuration would give
  // them; the others keep their defaults.
  const std::string positional = file.string_attribute(case_name, "positional");
  std::map<std::string, std::string> positional_parameters =
      component_parameters(file, case_name, "positional");
  for (const char* name : {"buckets", "max_distance"})
    if (file.has_attribute(case_name, name))
      positional_parameters[name] = std::to_string(file.int_attribute(case_name, name));
  std::unique_ptr<PositionalEncoding> positions;
  if (positional != "none") {
    positions = positional_registry().create(positional, positional_parameters,
                                             {.d_model = d_model,
                                              .heads = dimensions.query_heads,
                                              .head_width = dimensions.head_width,
                                              .max_length = 64,
                                              .rng = rng});
    modules.push_back(StoredModule{positions.get(), "positional."});
  }
  load_parameters(file, case_name, modules);
  const std::map<std::string, Tensor> inputs = load_inputs(file, case_name);
  const Tensor& x = inputs.at("x");

  testing::ActivationLog log;
  const std::vector<int64_t> at = consecutive_positions(0, x.size(1));
  const std::optional<TokenPositions> placed =
      positions ? std::optional<TokenPositions>({*positions, at}) : std::nullopt;
  const Tensor output = attention.forward(
      x, x, load_mask(file, case_name),
      {.training = false, .dropout_rng = nullptr, .observer = &log, .position_rng = nullptr},
      /*cache=*/nullptr, placed ? &*placed : nullptr);
  if (file.contains(case_name + "/weights")) {  // a variant that returns none has none stored
    const Tensor& weights = log.at("weights");
    check_close("weights", weights.shape(), weights.values(),
                file.read_tensor(case_name + "/weights"), output_tolerance);
  }
  check_output_and_gradients(file, case_name, output, inputs, modules);
}

TransformerConfig layer_config(const Hdf5File& file, const std::string& case_name) {
  TransformerConfig config;
  config.d_model = file.int_attribute(case_name, "d_model");
  config.heads = file.int_attribute(case_name, "heads");
  config.ffn_dim = file.int_attribute(case_name, "ffn_dim");
  config.activation = Activation::relu;
  config.norm = NormPlacement::pre;
  config.dropout = 0.0f;
  config.layer_norm_eps = 1e-5f;  // torch's default
  return config;
}

}  // namespace

TEST_CASE("torch parity: multi-head self-attention, h = 1, 2, 4, 8") {
  for (const char* case_name : {"mha_self_h1", "mha_self_h2", "mha_self_h4", "mha_self_h8"})
    DYNAMIC_SECTION(case_name) {
      check_attention_case(case_name);
    }
}

TEST_CASE("torch parity: masked self-attention, causal (h = 4) and key padding (h = 2)") {
  for (const char* case_name : {"mha_causal_h4", "mha_padding_h2"}) DYNAMIC_SECTION(case_name) {
      check_attention_case(case_name);
    }
}

TEST_CASE("torch parity: cross-attention with T != S and padded keys") {
  check_attention_case("mha_cross_h4");
}

TEST_CASE("torch parity: pre-LN encoder layer with key padding") {
  const std::string case_name = "encoder_layer";
  const Hdf5File file(reference_path(), Hdf5File::Mode::read);
  Rng rng(1);
  const EncoderLayer layer(layer_config(file, case_name), rng);
  load_parameters(file, case_name, layer);
  const std::map<std::string, Tensor> inputs = load_inputs(file, case_name);

  const Tensor& x = inputs.at("x");
  const std::vector<int64_t> at = consecutive_positions(0, x.size(1));
  const Tensor output = layer.forward(x, load_mask(file, case_name), {kNoPositions, at}, {});
  check_output_and_gradients(file, case_name, output, inputs, layer);
}

TEST_CASE(
    "torch parity: pre-LN decoder layer, causal self-attention and cross-attention over padded "
    "memory") {
  const std::string case_name = "decoder_layer";
  const Hdf5File file(reference_path(), Hdf5File::Mode::read);
  Rng rng(1);
  const DecoderLayer layer(layer_config(file, case_name), /*cross_attention=*/true, rng);
  load_parameters(file, case_name, layer);
  const std::map<std::string, Tensor> inputs = load_inputs(file, case_name);

  // The memory mask holds only key lengths: the layer makes its self-attention causal itself.
  const Tensor& x = inputs.at("x");
  const std::vector<int64_t> at = consecutive_positions(0, x.size(1));
  const Tensor output =
      layer.forward(x, inputs.at("memory"), load_mask(file, case_name), {kNoPositions, at}, {});
  check_output_and_gradients(file, case_name, output, inputs, layer);
}

TEST_CASE("torch parity: rotary position embedding (rope) on q and k, causal, h = 4") {
  check_component_case("rope_h4");
}

TEST_CASE(
    "torch parity: ALiBi score bias, causal, h = 4 and h = 6 (slopes of a non-power of two)") {
  for (const char* case_name : {"alibi_h4", "alibi_h6"}) DYNAMIC_SECTION(case_name) {
      check_component_case(case_name);
    }
}

TEST_CASE(
    "torch parity: T5 relative bias with its gradient, bidirectional (h = 4) and causal over "
    "logarithmic buckets") {
  for (const char* case_name : {"t5_bias_h4", "t5_bias_h4_causal_far"}) DYNAMIC_SECTION(case_name) {
      check_component_case(case_name);
    }
}

TEST_CASE("torch parity: causal linear attention (elu + 1) equals the paper's linear-time form") {
  check_component_case("linear_h4");
}

TEST_CASE(
    "torch parity: grouped-query (4 query heads, 2 key/value heads) and multi-query attention") {
  for (const char* case_name : {"gqa_h4_g2", "mqa_h4"}) DYNAMIC_SECTION(case_name) {
      check_component_case(case_name);
    }
}

TEST_CASE(
    "torch parity: the research attention variants, each from its paper (talking heads, "
    "QK-norm, top-k, differential, learned sink, forgetting, retention, CoPE, selective)") {
  for (const char* case_name :
       {"talking_heads_h4", "qk_norm_h4", "sparse_topk_h4", "differential_h4", "learned_sink_h4",
        "forgetting_h4", "retention_h4", "cope_h4", "selective_h4", "selective_kerple_h4",
        "selective_bidirectional_h4"})
    DYNAMIC_SECTION(case_name) {
      check_component_case(case_name);
    }
}

TEST_CASE(
    "torch parity: multi-head latent attention, keys and values through a 6-wide latent "
    "(DeepSeek-V2)") {
  check_component_case("mla_h4_latent6");
}

TEST_CASE("torch parity: the research positional encodings (p-RoPE, xPos, KERPLE log, FIRE)") {
  for (const char* case_name : {"p_rope_h4", "xpos_h4", "kerple_log_h4", "fire_h4"})
    DYNAMIC_SECTION(case_name) {
      check_component_case(case_name);
    }
}
