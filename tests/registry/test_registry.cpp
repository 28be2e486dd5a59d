#include <fmt/format.h>

#include <attnlab/attention/attention_variant.hpp>
#include <attnlab/attention/multi_head_attention.hpp>
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/registry/component_kinds.hpp>
#include <attnlab/task/task.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

using namespace attnlab;
using Catch::Matchers::Contains;

TEST_CASE("every built-in source file registered its component, with a description") {
  std::map<std::string, std::string> registered;  // name -> description, over every kind
  ComponentKinds::for_each([&]<class Component>() {
    for (const auto& entry : registry_of<Component>().entries())
      if (entry.origin == "built-in") registered[entry.name] = entry.description;
  });
  const std::string names = ATTNLAB_BUILTIN_NAMES;  // "softmax,rope,...," from plugins/*/*.cpp
  std::size_t files = 0;
  for (std::size_t start = 0, end; (end = names.find(',', start)) != std::string::npos;
       start = end + 1, ++files) {
    const std::string name = names.substr(start, end - start);
    INFO("plugins/*/" << name << ".cpp");
    REQUIRE(registered.count(name) == 1);
    REQUIRE_FALSE(registered.at(name).empty());
  }
  REQUIRE(files == registered.size());  // and nothing registered without its own file
}

TEST_CASE("an unknown name lists the available ones and the closest match") {
  REQUIRE_THROWS_WITH(attention_registry().find("softmx"),
                      Contains("unknown attention variant 'softmx'") &&
                          Contains("did you mean 'softmax'?") && Contains("cosine") &&
                          Contains("local"));
  REQUIRE_THROWS_WITH(attention_registry().find("zzzzzzzz"), !Contains("did you mean"));
}

TEST_CASE("unknown and mistyped parameters are errors, never ignored") {
  Rng rng(1);
  const ComponentChoice misspelt{"local", {{"windw", "4"}}};
  REQUIRE_THROWS_WITH(MultiHeadAttention(8, 2, 0.0f, rng, misspelt),
                      Contains("attention variant 'local' has no parameter 'windw'") &&
                          Contains("did you mean 'window'?"));
  const ComponentChoice wrong_type{"local", {{"window", "wide"}}};
  REQUIRE_THROWS_WITH(MultiHeadAttention(8, 2, 0.0f, rng, wrong_type),
                      Contains("parameter 'window' must be an integer") && Contains("got 'wide'"));
  const ComponentChoice not_boolean{"cosine", {{"learn_temperature", "yes please"}}};
  REQUIRE_THROWS_WITH(MultiHeadAttention(8, 2, 0.0f, rng, not_boolean),
                      Contains("must be true or false"));
  const ComponentChoice out_of_range{"local", {{"window", "0"}}};
  REQUIRE_THROWS_WITH(MultiHeadAttention(8, 2, 0.0f, rng, out_of_range),
                      Contains("parameter 'window' must be an integer >= 1"));
}

TEST_CASE("a duplicate name is refused, naming both origins") {
  Registry<AttentionVariant> registry;
  const auto factory = [](const Parameters&, const AttentionVariant::BuildContext&) {
    return std::unique_ptr<AttentionVariant>();
  };
  registry.add({"mine", "first", {}, {}, factory, "libfirst.so"});
  REQUIRE_THROWS_WITH(
      registry.add({"mine", "second", {}, {}, factory, "libsecond.so"}),
      Contains("'mine' from libsecond.so is already registered (from libfirst.so)"));
}

TEST_CASE("defaults are filled in and typed") {
  const std::vector<ParameterSpec> specs{{"count", ParameterType::integer, "3", "how many"},
                                         {"rate", ParameterType::number, "0.5", "how fast"},
                                         {"on", ParameterType::boolean, "false", "switch"},
                                         {"mode", ParameterType::text, "split", "policy"}};
  const Parameters p =
      resolve_parameters("thing", "demo", specs, {{"rate", "2e-3"}, {"on", "true"}});
  REQUIRE(p.integer("count") == 3);
  REQUIRE(p.number("rate") == Approx(2e-3));
  REQUIRE(p.boolean("on"));
  REQUIRE(p.text("mode") == "split");
  REQUIRE_THROWS_AS(p.integer("rate"), ConfigError);
  for (const char* not_finite : {"nan", "inf", "-inf", "1e999"})
    REQUIRE_THROWS_WITH(resolve_parameters("thing", "demo", specs, {{"rate", not_finite}}),
                        Contains("must be a finite number"));
}

TEST_CASE("declared ranges and choices are enforced, and described") {
  const std::vector<ParameterSpec> specs{
      {"window", ParameterType::integer, "8", "keys seen", at_least(1)},
      {"rate", ParameterType::number, "0.5", "how fast", in_range(0, 1)},
      {"width", ParameterType::text, "split", "policy", one_of({"split", "fixed"})}};
  REQUIRE(resolve_parameters("thing", "demo", specs, {{"window", "1"}}).integer("window") == 1);
  REQUIRE_THROWS_WITH(
      resolve_parameters("thing", "demo", specs, {{"window", "0"}}),
      Contains("parameter 'window' must be an integer >= 1") && Contains("got '0'"));
  REQUIRE_THROWS_WITH(resolve_parameters("thing", "demo", specs, {{"rate", "1.5"}}),
                      Contains("must be a finite number in [0, 1]"));
  REQUIRE_THROWS_WITH(resolve_parameters("thing", "demo", specs, {{"width", "wide"}}),
                      Contains("must be one of split | fixed"));
}

TEST_CASE("built-in number parameters that would break the math are bounded") {
  const auto refused = [](const auto& registry, const char* name, const char* key,
                          const char* value) {
    const auto& entry = registry.find(name);
    REQUIRE_THROWS_WITH(resolve_parameters("component", name, entry.parameters, {{key, value}}),
                        Contains(fmt::format("parameter '{}' must be", key)));
  };
  refused(positional_registry(), "rope", "base", "-1");  // trained to NaN before the bound
  refused(positional_registry(), "rope", "base", "1");
  refused(positional_registry(), "sinusoidal", "base", "0");
  refused(attention_registry(), "cosine", "temperature", "-1");
  refused(attention_registry(), "linear", "eps", "-1");
}

TEST_CASE("an unknown name says whether a plugin that might provide it is loaded") {
  Registry<AttentionVariant> registry;
  const auto factory = [](const Parameters&, const AttentionVariant::BuildContext&) {
    return std::unique_ptr<AttentionVariant>();
  };
  registry.add({"mine", "", {}, {}, factory, "built-in"});
  REQUIRE_THROWS_WITH(registry.find("theirs"),
                      Contains("no plugin is loaded") && Contains("'plugins:'"));
  registry.add({"other", "", {}, {}, factory, "/opt/libother.so"});
  REQUIRE_THROWS_WITH(registry.find("theirs"),
                      Contains("from the built-ins and the plugins /opt/libother.so"));
}

TEST_CASE("a factory that returns no component is an error naming it, never a null to crash on") {
  Registry<AttentionVariant> registry;
  registry.add({"hollow",
                "",
                {},
                {},
                [](const Parameters&, const AttentionVariant::BuildContext&) {
                  return std::unique_ptr<AttentionVariant>();
                },
                "libhollow.so"});
  Rng rng(1);
  REQUIRE_THROWS_WITH(registry.create("hollow", {}, {.heads = 1, .head_width = 4, .rng = rng}),
                      Contains("the factory of attention variant 'hollow' (from libhollow.so) "
                               "returned no component"));
}

TEST_CASE("a declaration that cannot work is refused when it is registered") {
  Registry<AttentionVariant> registry;
  const auto factory = [](const Parameters&, const AttentionVariant::BuildContext&) {
    return std::unique_ptr<AttentionVariant>();
  };
  const auto entry = [&](std::string name, std::vector<ParameterSpec> parameters) {
    return Registry<AttentionVariant>::Entry{
        std::move(name), "", std::move(parameters), {}, factory, "libmine.so"};
  };
  REQUIRE_THROWS_WITH(registry.add(entry("", {})), Contains("has an empty name"));
  REQUIRE_THROWS_WITH(registry.add(entry("a", {{"n", ParameterType::integer, "many", "count"}})),
                      Contains("attention variant 'a': parameter 'n' declares default 'many', "
                               "which is not an integer"));
  REQUIRE_THROWS_WITH(
      registry.add(entry("b", {{"n", ParameterType::integer, "0", "count", at_least(1)}})),
      Contains("declares default '0', which is not an integer >= 1"));
  REQUIRE_THROWS_WITH(
      registry.add(entry("c", {{"n", ParameterType::integer, "1", "", one_of({"x"})}})),
      Contains("declares choices, which only text parameters take"));
  REQUIRE_THROWS_WITH(registry.add(entry("d", {{"n", ParameterType::boolean, "true", ""},
                                               {"n", ParameterType::boolean, "true", ""}})),
                      Contains("parameter 'n' is declared twice"));
  REQUIRE(registry.names().empty());  // nothing half-added
}

namespace {

// A variant that ignores every mask, as a careless plugin might.
class MaskBlindAttention final : public AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask&,
                         const Tensor&, const ForwardContext&) const override {
    return scaled_dot_product_attention(q, k, v, {});
  }
};

}  // namespace

TEST_CASE("a variant without the causal mask is refused by a decoder, not silently used") {
  if (!attention_registry().contains("test_mask_blind"))
    attention_registry().add({"test_mask_blind",
                              "ignores masks",
                              {},
                              {.causal_mask = false,
                               .padding_mask = false,
                               .returns_weights = true,
                               .score_bias = false},
                              [](const Parameters&, const AttentionVariant::BuildContext&) {
                                return std::make_unique<MaskBlindAttention>();
                              },
                              "tests"});
  Rng rng(1);
  MultiHeadAttention mha(8, 2, 0.0f, rng, {"test_mask_blind", {}});
  const Tensor x = Tensor::zeros({1, 3, 8});
  REQUIRE_NOTHROW(mha.forward(x, x, {}, {}));  // no mask asked for: fine
  REQUIRE_THROWS_WITH(mha.forward(x, x, {.causal = true, .key_lengths = {}}, {}),
                      Contains("'test_mask_blind' does not honour the causal mask"));
  REQUIRE_THROWS_WITH(mha.forward(x, x, {.causal = false, .key_lengths = {2}}, {}),
                      Contains("does not honour key padding"));
}

namespace {

// Pads its encoder batches: every other sequence is one token short.
class PaddingTask final : public Task {
 public:
  int64_t vocab_size() const override { return 4; }
  int64_t length() const override { return 4; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }
  TaskBatch sample(ModelShape, int64_t batch, int64_t length, Rng&) const override {
    TaskBatch out;
    out.source = TokenBatch{batch, length, std::vector<int32_t>(batch * length, 1), {}};
    for (int64_t b = 0; b < batch; ++b)
      out.source.lengths.push_back(static_cast<int32_t>(b % 2 == 0 ? length : length - 1));
    out.targets.assign(batch * length, 2);
    return out;
  }
};

}  // namespace

TEST_CASE("a task that pads is refused with a variant that ignores padding, before training") {
  if (!attention_registry().contains("test_mask_blind"))
    attention_registry().add({"test_mask_blind",
                              "ignores masks",
                              {},
                              {},
                              [](const Parameters&, const AttentionVariant::BuildContext&) {
                                return std::make_unique<MaskBlindAttention>();
                              },
                              "tests"});
  task_registry().add({"test_padding",
                       "pads every other sequence",
                       {},
                       {.encoder = true, .decoder = true, .pads = true},
                       [](const Parameters&, const Task::BuildContext&) -> std::unique_ptr<Task> {
                         return std::make_unique<PaddingTask>();
                       },
                       "tests"});
  const auto path = std::filesystem::temp_directory_path() / "attnlab_padding_check.yaml";
  std::ofstream(path) << "model: {architecture: encoder}\n"
                         "attention: {variant: test_mask_blind}\n"
                         "task: {name: test_padding}\n";
  REQUIRE_THROWS_WITH(load_experiment(path.string()),
                      Contains("attnlab_padding_check.yaml:2:") &&
                          Contains("attention variant 'test_mask_blind' does not honour padding "
                                   "masks, and task 'test_padding' pads"));
  std::filesystem::remove(path);
}
