#include <attnlab/attention/head_layout.hpp>
#include <attnlab/attention/multi_head_attention.hpp>
#include <attnlab/error.hpp>
#include <catch2/catch.hpp>

#include "support/gradcheck.hpp"
#include "support/modules.hpp"
#include "support/random.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

std::vector<float> identity(int n) {
  std::vector<float> m(static_cast<std::size_t>(n * n), 0.0f);
  for (int i = 0; i < n; ++i) m[static_cast<std::size_t>(i * n + i)] = 1.0f;
  return m;
}

}  // namespace

TEST_CASE("the seed's worked example: d_model 4, two heads, one shared W_O") {
  Rng rng(1);
  MultiHeadAttention mha(4, 2, 0.0f, rng);
  // W_Q = I so the query of the first token is its input (1, 1, 0, 1).
  testing::set_parameter(mha, "q_proj.weight", identity(4));
  testing::set_parameter(mha, "q_proj.bias", {0, 0, 0, 0});
  const Tensor a = Tensor::from_values({1, 2, 4}, std::vector<float>{1, 1, 0, 1, 0, 2, 1, 0});
  testing::ActivationLog log;
  const Tensor out =
      mha.forward(a, a, {}, {.training = false, .dropout_rng = nullptr, .observer = &log});

  const Tensor& q = log.at("q");  // [B, h, T, d_k]
  REQUIRE(q.shape() == Shape{1, 2, 2, 2});
  const auto qv = q.to_vector();
  CHECK(std::vector<float>{qv[0], qv[1]} == std::vector<float>{1, 1});  // q11: head 1 of token 1
  CHECK(std::vector<float>{qv[4], qv[5]} == std::vector<float>{0, 1});  // q12: head 2 of token 1

  // Each token's output is (b_i1 || b_i2) times the one W_O, plus its bias.
  const Tensor& heads = log.at("head_outputs");  // [1, 2, 2, 2]
  const Tensor& concat = log.at("concat");       // [1, 2, 4]
  const auto hv = heads.to_vector(), cv = concat.to_vector();
  for (int t = 0; t < 2; ++t)
    for (int h = 0; h < 2; ++h)
      for (int j = 0; j < 2; ++j) REQUIRE(cv[t * 4 + h * 2 + j] == hv[(h * 2 + t) * 2 + j]);
  const auto params = mha.named_parameters();
  const auto wo = std::find_if(params.begin(), params.end(), [](auto& p) {
                    return p.first == "o_proj.weight";
                  })->second.to_vector();
  const auto bo = std::find_if(params.begin(), params.end(), [](auto& p) {
                    return p.first == "o_proj.bias";
                  })->second.to_vector();
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 4; ++i) {
      double expected = bo[i];
      for (int j = 0; j < 4; ++j) expected += wo[i * 4 + j] * cv[t * 4 + j];
      REQUIRE(out.data()[t * 4 + i] == Approx(expected).margin(1e-6));
    }
}

TEST_CASE("heads that do not divide d_model are refused naming both numbers") {
  Rng rng(1);
  REQUIRE_THROWS_MATCHES(MultiHeadAttention(10, 3, 0.0f, rng), ConfigError,
                         Catch::Matchers::Predicate<ConfigError>([](const ConfigError& e) {
                           const std::string m = e.what();
                           return m.find("heads = 3") != std::string::npos &&
                                  m.find("d_model = 10") != std::string::npos;
                         }));
}

TEST_CASE("split heads get d_model / heads features") {
  REQUIRE(split_head_width(12288, 96) == 128);  // GPT-3
  REQUIRE(split_head_width(8, 1) == 8);
  REQUIRE_THROWS_WITH(split_head_width(10, 3),
                      Catch::Matchers::Contains("heads = 3 does not divide d_model = 10"));
  REQUIRE_THROWS_WITH(split_head_width(8, 0), Catch::Matchers::Contains("heads must be >= 1"));
}

TEST_CASE("attention weights sum to one and cross-attention handles T != S") {
  Rng rng(2);
  MultiHeadAttention mha(8, 4, 0.0f, rng);
  const Tensor decoder_stream = testing::random_tensor({2, 3, 8}, 3);
  const Tensor encoder_output = testing::random_tensor({2, 5, 8}, 4);
  testing::ActivationLog log;
  AttentionMask mask;
  mask.key_lengths = {5, 2};
  const Tensor out = mha.forward(decoder_stream, encoder_output, mask,
                                 {.training = false, .dropout_rng = nullptr, .observer = &log});
  REQUIRE(out.shape() == Shape{2, 3, 8});
  const Tensor& w = log.at("weights");
  REQUIRE(w.shape() == Shape{2, 4, 3, 5});
  for (int64_t row = 0; row < 2 * 4 * 3; ++row) {
    double total = 0.0;
    for (int64_t s = 0; s < 5; ++s) total += w.data()[row * 5 + s];
    REQUIRE(total == Approx(1.0).margin(1e-6));
  }
  REQUIRE(w.data()[(1 * 4 * 3) * 5 + 2] == 0.0f);  // batch 1 sees only 2 keys
}

TEST_CASE("multi-head attention gradients, self and cross, with masks") {
  Rng rng(3);
  MultiHeadAttention mha(8, 2, 0.0f, rng);
  Tensor x = testing::random_variable({2, 4, 8}, 5);
  Tensor memory = testing::random_variable({2, 3, 8}, 6);
  std::vector<testing::GradCheckInput> inputs{{"x", x}, {"memory", memory}};
  for (auto& [name, p] : mha.named_parameters()) inputs.push_back({name, p});
  AttentionMask causal{.causal = true, .key_lengths = {}};
  std::string report;
  REQUIRE(testing::gradient_error([&] { return mha.forward(x, x, causal, {}); }, {inputs[0]}, {},
                                  &report) <= 1e-3);
  AttentionMask padding{.causal = false, .key_lengths = {3, 1}};
  const double error = testing::gradient_error([&] { return mha.forward(x, memory, padding, {}); },
                                               inputs, {}, &report);
  INFO(report);
  REQUIRE(error <= 1e-3);
}

TEST_CASE(
    "head gates: ones change nothing, a zero removes exactly one head, gradients give importance") {
  Rng rng(7);
  MultiHeadAttention mha(8, 4, 0.0f, rng);
  const Tensor x = testing::random_tensor({2, 3, 8}, 8);
  testing::ActivationLog plain_log;
  const ForwardContext plain_context{
      .training = false, .dropout_rng = nullptr, .observer = &plain_log};
  const auto plain = mha.forward(x, x, {}, plain_context).to_vector();
  mha.set_head_gates(Tensor::full({4}, 1.0f));
  REQUIRE(mha.forward(x, x, {}, {}).to_vector() == plain);

  // Gate head 2 off: the concatenation loses exactly head 2's slice.
  mha.set_head_gates(Tensor::from_values({4}, std::vector<float>{1, 1, 0, 1}));
  testing::ActivationLog gated_log;
  mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &gated_log});
  const auto before = plain_log.at("concat").to_vector(),
             after = gated_log.at("concat").to_vector();
  for (std::size_t i = 0; i < before.size(); ++i) {
    const bool head_two = (i % 8) / 2 == 2;
    REQUIRE(after[i] == (head_two ? 0.0f : before[i]));
  }

  // Importance I_h = dL/dxi_h, checked against finite differences, over two backward passes.
  Tensor gates = Tensor::full({4}, 1.0f);
  gates.requires_grad();
  mha.set_head_gates(gates);
  for (int pass = 0; pass < 2; ++pass) {
    std::string report;
    REQUIRE(testing::gradient_error([&] { return mha.forward(x, x, {}, {}); }, {{"gates", gates}},
                                    {}, &report) <= 1e-3);
  }
  REQUIRE_THROWS_WITH(mha.set_head_gates(Tensor::full({3}, 1.0f)),
                      Contains("head gates must have shape [4]"));
}

namespace {
Tensor parameter(const Module& module, const std::string& name) {
  for (const auto& [path, tensor] : module.named_parameters())
    if (path == name) return tensor;
  throw Error("no parameter " + name);
}
}  // namespace

TEST_CASE("a head that does nothing can be masked without effect, masking all leaves W_O's bias") {
  Rng rng(11);
  MultiHeadAttention mha(8, 4, 0.0f, rng);
  const Tensor x = testing::random_tensor({2, 3, 8}, 12);
  // Head 1 (value features 2..3) gets a zero value projection: it outputs nothing.
  Tensor v_weight = parameter(mha, "v_proj.weight");  // [h d_k, D], rows = value features
  Tensor v_bias = parameter(mha, "v_proj.bias");
  for (int64_t row = 2; row < 4; ++row) {
    for (int64_t col = 0; col < 8; ++col) v_weight.data()[row * 8 + col] = 0.0f;
    v_bias.data()[row] = 0.0f;
  }
  const auto plain = mha.forward(x, x, {}, {}).to_vector();
  mha.set_head_gates(Tensor::from_values({4}, std::vector<float>{1, 0, 1, 1}));
  REQUIRE(mha.forward(x, x, {}, {}).to_vector() == plain);

  mha.set_head_gates(Tensor::full({4}, 0.0f));
  const auto silent = mha.forward(x, x, {}, {}).to_vector();
  const auto o_bias = parameter(mha, "o_proj.bias").to_vector();
  for (std::size_t i = 0; i < silent.size(); ++i) REQUIRE(silent[i] == o_bias[i % 8]);

  // Gate 0 plus an offset: every position of head 2 outputs the offset (mean ablation).
  mha.set_head_gates(Tensor::from_values({4}, std::vector<float>{1, 1, 0, 1}));
  std::vector<float> offsets(4 * 2, 0.0f);
  offsets[2 * 2] = 0.5f, offsets[2 * 2 + 1] = -1.5f;
  mha.set_head_offsets(Tensor::from_values({4, 2}, offsets));
  testing::ActivationLog log;
  mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &log});
  const auto heads = log.at("head_outputs").to_vector();  // [2, 4, 3, 2]
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t t = 0; t < 3; ++t) {
      REQUIRE(heads[((b * 4 + 2) * 3 + t) * 2] == 0.5f);
      REQUIRE(heads[((b * 4 + 2) * 3 + t) * 2 + 1] == -1.5f);
    }
  REQUIRE_THROWS_WITH(mha.set_head_offsets(Tensor::full({4}, 1.0f)),
                      Contains("head offsets must have shape [4, 2]"));
}

namespace {
// Replaces one named tensor with a fixed one (activation patching).
class Replacing final : public ActivationObserver {
 public:
  Replacing(std::string name, Tensor by) : name_(std::move(name)), by_(std::move(by)) {}
  void observe(const RecordedTensor&, const Tensor&) override {}
  Tensor replace(const RecordedTensor& recorded, const Tensor&) override {
    const std::string_view name = recorded.name;
    return name == name_ ? by_ : Tensor();
  }

 private:
  std::string name_;
  Tensor by_;
};
}  // namespace

TEST_CASE("an observer can replace a tensor the pass goes on with, of the same shape only") {
  Rng rng(13);
  const MultiHeadAttention mha(8, 2, 0.0f, rng);
  const Tensor x = testing::random_tensor({1, 3, 8}, 14);
  const auto plain = mha.forward(x, x, {}, {}).to_vector();
  // Uniform weights: every query's head output is the mean of the values.
  Replacing uniform("weights", Tensor::full({1, 2, 3, 3}, 1.0f / 3));
  testing::ActivationLog log;
  const auto patched =
      mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &uniform})
          .to_vector();
  REQUIRE(patched != plain);
  mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &log});
  Replacing same_values("v", log.at("v"));  // replacing a tensor by itself changes nothing
  REQUIRE(
      mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &same_values})
          .to_vector() == plain);
  // The replaced weights are applied as weights x values: rows of the output agree.
  for (int64_t t = 1; t < 3; ++t)
    for (int64_t f = 0; f < 8; ++f) REQUIRE(patched[t * 8 + f] == Approx(patched[f]));
  Replacing wrong("concat", Tensor::full({1, 3, 4}, 0.0f));
  REQUIRE_THROWS_WITH(
      mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &wrong}),
      Contains("concat: replaced by a tensor of shape [1, 3, 4], but it has shape [1, 3, 8]"));
}

TEST_CASE("a tensor recorded as only observed is never offered for replacement") {
  Rng rng(13);
  const MultiHeadAttention mha(8, 2, 0.0f, rng);
  const Tensor x = testing::random_tensor({1, 3, 8}, 14);
  const auto plain = mha.forward(x, x, {}, {}).to_vector();
  Replacing scores("scores", Tensor::full({1, 2, 3, 3}, 0.0f));  // declared Replaceable::no
  REQUIRE(mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &scores})
              .to_vector() == plain);
}

TEST_CASE("recorded tensors carry their dimension names, and a variant records its own") {
  Rng rng(1);
  const MultiHeadAttention mha(8, 2, 0.0f, rng, {"softmax_one", {}});
  const Tensor x = testing::random_tensor({2, 3, 8}, 5);
  testing::ActivationLog log;
  mha.forward(x, x, {}, {.training = false, .dropout_rng = nullptr, .observer = &log});
  using Names = std::vector<std::string>;
  REQUIRE(log.dimension_names.at("weights") == Names{"example", "head", "query", "key"});
  REQUIRE(log.dimension_names.at("k") == Names{"example", "kv_head", "key", "feature"});
  REQUIRE(log.dimension_names.at("concat") == Names{"example", "position", "feature"});
  // softmax_one's own tensor, recorded through the context it is given, under its
  // module ("variant"): the weight each query gives to nothing, 1 - the weights' sum.
  REQUIRE(log.dimension_names.at("variant.abstention") == Names{"example", "head", "query"});
  const Tensor& abstention = log.at("variant.abstention");
  REQUIRE(abstention.shape() == Shape{2, 2, 3});
  const auto weights = log.at("weights").to_vector();
  for (int64_t row = 0; row < 2 * 2 * 3; ++row) {
    float sum = 0.0f;
    for (int64_t key = 0; key < 3; ++key) sum += weights[row * 3 + key];
    REQUIRE(abstention.data()[row] == Approx(1.0f - sum).margin(1e-6));
  }
}

namespace {
class MisnamedRecording final : public Module {
 public:
  void forward(const ForwardContext& context) const {
    record(context, "flat", Tensor::zeros({2, 3}), {"example"});
  }
};
}  // namespace

TEST_CASE("a tensor recorded with the wrong number of dimension names is an error") {
  testing::ActivationLog log;
  const MisnamedRecording module;
  REQUIRE_NOTHROW(module.forward({}));  // nothing observes: nothing is checked or built
  REQUIRE_THROWS_WITH(module.forward({.training = false, .dropout_rng = nullptr, .observer = &log}),
                      Catch::Matchers::Contains("flat: recorded with 1 dimension names for a "
                                                "tensor of rank 2"));
}
