#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <catch2/catch.hpp>

#include "support/experiment_files.hpp"

using namespace attnlab;

namespace {

constexpr const char* kSmall = R"(
model: {d_model: 16, layers: 1, ffn: 32}
heads: {count: 2}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1, batch: 2}
)";

std::string value(const Trial& trial, const std::string& key) {
  const ConfigNode* node = trial.config.at_path(key);
  REQUIRE(node != nullptr);
  return node->text();
}

}  // namespace

TEST_CASE("grid, zip and named arms concatenate, and every arm repeats over the seeds") {
  TemporaryFolder folder;
  const std::string path = folder.write("x.yaml", std::string(kSmall) + R"(
ablation:
  - grid: {heads.count: [1, 2], positional.kind: [none, rope]}
  - name: zipped
    zip: {model.d_model: [8, 32], heads.count: [2, 4]}
  - name: post-ln
    set: {model: {norm: post}}
seeds: [3, 5]
)");
  const Experiment e = load_experiment(path);
  REQUIRE(e.arms == std::vector<std::string>{"heads.count=1, positional.kind=none",
                                             "heads.count=1, positional.kind=rope",
                                             "heads.count=2, positional.kind=none",
                                             "heads.count=2, positional.kind=rope",
                                             "zipped: model.d_model=8, heads.count=2",
                                             "zipped: model.d_model=32, heads.count=4", "post-ln"});
  REQUIRE(e.trials.size() == 14);
  for (std::size_t i = 0; i < e.trials.size(); ++i) {
    const Trial& t = e.trials[i];
    REQUIRE(t.index == static_cast<int64_t>(i));
    REQUIRE(t.arm == e.arms[i / 2]);
    REQUIRE(t.seed == (i % 2 == 0 ? 3u : 5u));
    REQUIRE(value(t, "train.seed") == std::to_string(t.seed));
  }
  REQUIRE(value(e.trials[2], "positional.kind") == "rope");
  REQUIRE(value(e.trials[2], "heads.count") == "1");
  REQUIRE(value(e.trials[10], "model.d_model") == "32");
  REQUIRE(value(e.trials[10], "heads.count") == "4");
  REQUIRE(value(e.trials[12], "model.norm") == "post");
  REQUIRE(value(e.trials[12], "heads.count") == "2");  // from the base
  REQUIRE(value(e.trials[0], "model.norm") == "pre");  // a default filled in
}

TEST_CASE("seeds: N gives seeds 0..N-1, without seeds the trial uses train.seed") {
  TemporaryFolder folder;
  REQUIRE(
      load_experiment(folder.write("a.yaml", std::string(kSmall) + "seeds: 3\n")).trials.size() ==
      3);
  const Experiment one = load_experiment(folder.write("b.yaml", R"(
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1, seed: 7}
)"));
  REQUIRE(one.trials.size() == 1);
  REQUIRE(one.trials[0].seed == 7);
  REQUIRE(one.arms == std::vector<std::string>{"base"});
}

TEST_CASE("base: inherits, the file overrides its base, and -o overrides both") {
  TemporaryFolder folder;
  folder.write("base.yaml", R"(
model: {d_model: 16, layers: 1, ffn: 32, norm: post}
heads: {count: 2}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1, batch: 2}
seeds: 2
)");
  const std::string child = folder.write("child.yaml", R"(
base: base.yaml
heads: {count: 4}
model: {d_model: 32}
)");
  const Experiment e =
      load_experiment(child, {"model.d_model=64", "seeds=[9]", "heads.layout=mqa"});
  REQUIRE(e.trials.size() == 1);
  const Trial& t = e.trials[0];
  REQUIRE(t.seed == 9);
  REQUIRE(value(t, "model.d_model") == "64");
  REQUIRE(value(t, "model.norm") == "post");  // from the base, beside the child's model keys
  REQUIRE(value(t, "model.ffn") == "32");
  REQUIRE(value(t, "heads.count") == "4");
  REQUIRE(value(t, "heads.layout") == "mqa");
  REQUIRE(e.name == "child");  // a base's name and output are not inherited
  folder.write("named.yaml", "name: family\noutput: runs/family\ntask: {name: copy}\n");
  const Experiment sibling = load_experiment(folder.write("sibling.yaml", "base: named.yaml\n"));
  REQUIRE(sibling.name == "sibling");
  REQUIRE(sibling.output_dir.ends_with("runs/sibling"));
}

TEST_CASE("trial ids depend on the resolved configuration only") {
  TemporaryFolder folder;
  const Experiment a = load_experiment(folder.write("a.yaml", R"(
task: {name: copy, length: 3, symbols: 4}
model: {ffn: 32, d_model: 16}
train: {steps: 1}
)"));
  // Same values in another order, with defaults spelled out and numbers written differently.
  const Experiment b = load_experiment(folder.write("b.yaml", R"(
model: {d_model: 16, ffn: 32, norm: pre}
train: {lr: 3.0e-3, steps: 1}
task: {symbols: 4, name: copy, length: 3}
)"));
  const Experiment c = load_experiment(folder.write("c.yaml", R"(
model: {d_model: 16, ffn: 32}
task: {name: copy, symbols: 4, length: 4}
train: {steps: 1}
)"));
  REQUIRE(a.trials[0].id == b.trials[0].id);
  REQUIRE(a.trials[0].id != c.trials[0].id);
  REQUIRE(a.trials[0].id == config_hash(to_yaml(a.trials[0].config)));
  REQUIRE(a.trials[0].id.size() == 16);
}

TEST_CASE("a default written out gives the same id as a default left out") {
  TemporaryFolder folder;
  const Experiment implicit = load_experiment(
      folder.write("a.yaml", std::string(kSmall) + "attention: {variant: linear}\n"));
  const Experiment spelled = load_experiment(folder.write(
      "b.yaml", std::string(kSmall) + "attention: {variant: linear, eps: 0.000001}\n"));
  REQUIRE(implicit.trials[0].id == spelled.trials[0].id);
}

TEST_CASE("arms varying a whole section get one-line labels") {
  TemporaryFolder folder;
  const Experiment e = load_experiment(folder.write("a.yaml", std::string(kSmall) + R"(
ablation:
  grid:
    attention: [{variant: local, window: 2}, {variant: softmax}]
)"));
  REQUIRE(e.arms == std::vector<std::string>{"attention={variant: local, window: 2}",
                                             "attention={variant: softmax}"});
}

TEST_CASE("the resolved configuration reads back to itself") {
  TemporaryFolder folder;
  const Experiment e =
      load_experiment(folder.write("a.yaml", std::string(kSmall) + "description: 'a: b # c'\n"));
  const std::string text = to_yaml(e.trials[0].config);
  REQUIRE(to_yaml(parse_yaml(text, "again")) == text);
  const std::string whole = to_yaml(e.resolved);
  REQUIRE(to_yaml(parse_yaml(whole, "again")) == whole);
  REQUIRE(e.resolved.find("description")->text() == "a: b # c");
}

TEST_CASE(
    "the built-in default experiment compares 1 to 8 heads over 5 seeds, with a conclusion and "
    "a solved rule") {
  const Experiment e = default_experiment();
  REQUIRE(e.name == "default");
  REQUIRE(e.arms.size() == 4);
  REQUIRE(e.trials.size() == 20);
  REQUIRE(e.conclusion->baseline == "heads.count=1");
  REQUIRE(e.conclusion->versus == std::vector<std::string>{"heads.count=4"});
  REQUIRE(e.solved->describe() == "eval_exact_match >= 0.99");
  REQUIRE(find_trial(e, "5").index == 5);
  REQUIRE(find_trial(e, e.trials[7].id).index == 7);
  REQUIRE_THROWS_WITH(find_trial(e, "99"), Catch::Matchers::Contains("index 0..19"));
}
