// The tune: block: checked where it is written, and expanded into every arm at
// every value with a validation evaluation.
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <catch2/catch.hpp>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kTwoArms = R"(
model: {d_model: 16, layers: 1, ffn: 32}
heads: {count: 2}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1}
eval: {batches: 3}
ablation: {grid: {heads.count: [1, 2]}}
seeds: 2
)";

std::string refusal(const std::string& tune) {
  TemporaryFolder folder;
  try {
    load_experiment(folder.write("x.yaml", std::string(kTwoArms) + tune));
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("expected the tuning to be refused: " << tune);
  return "";
}

}  // namespace

TEST_CASE("a tuning names one train key with at least two values, or is refused where written") {
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], select: perplexity}"),
               Contains("x.yaml:9:") && Contains("tune.select: found 'perplexity'") &&
                   Contains("loss | accuracy | exact_match"));
  REQUIRE_THAT(refusal("tune: {model.d_model: [16, 32]}"),
               Contains("tune.model.d_model: unknown key") && Contains("train.lr"));
  REQUIRE_THAT(refusal("tune: {train.seed: [1, 2]}"), Contains("tune.train.seed: unknown key"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001]}"),
               Contains("tune.train.lr: found a list") &&
                   Contains("expected a list of at least two values"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.001]}"), Contains("0.001 is listed twice"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], train.warmup: [1, 2]}"),
               Contains("tune.train.warmup: a second key to tune"));
  REQUIRE_THAT(refusal("tune: {select: loss}"), Contains("tune: no key to tune"));
  REQUIRE_THAT(refusal("tune: [train.lr]"), Contains("tune: found"));
  // A value the key cannot take is refused with the trial, where it is written.
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, -1]}"),
               Contains("x.yaml:9:") && Contains("train.lr"));
  // An arm that sets the tuned key, and a validation evaluation switched off.
  TemporaryFolder folder;
  const std::string both = folder.write("y.yaml", R"(
model: {d_model: 16, layers: 1, ffn: 32}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1}
ablation: {grid: {train.lr: [0.001, 0.01]}}
tune: {train.lr: [0.001, 0.01]}
)");
  REQUIRE_THROWS_WITH(load_experiment(both),
                      Contains("y.yaml:5:19: train.lr: is tuned (tune:), so an ablation arm "
                               "cannot also set it"));
  REQUIRE_THROWS_WITH(
      load_experiment(
          folder.write("z.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01]}\n"),
          {"eval.validation_batches=0"}),
      Contains("eval.validation_batches: found 0, but tune: selects on the validation"));
}

TEST_CASE("a tuning runs every arm at every value and seed, with a validation evaluation") {
  TemporaryFolder folder;
  const Experiment e = load_experiment(folder.write(
      "x.yaml",
      std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.003, 0.01], select: accuracy}"));
  REQUIRE(e.arms == std::vector<std::string>{"heads.count=1", "heads.count=2"});
  REQUIRE(e.trials.size() == 2 * 3 * 2);
  REQUIRE(e.tune->key == "train.lr");
  REQUIRE(e.tune->figure() == "eval_accuracy[validation]");
  REQUIRE_FALSE(e.tune->lower_is_better);
  const std::vector<std::string> order{"0.001", "0.001", "0.003", "0.003", "0.01", "0.01"};
  for (std::size_t i = 0; i < e.trials.size(); ++i) {
    const Trial& t = e.trials[i];
    INFO(i);
    REQUIRE(t.arm == (i < 6 ? "heads.count=1" : "heads.count=2"));
    REQUIRE(t.tuned == order[i % 6]);
    REQUIRE(t.seed == i % 2);
    REQUIRE(std::stod(t.config.at_path("train.lr")->text()) == std::stod(t.tuned));
    // eval.batches is 3 here: the validation evaluation takes as many.
    REQUIRE(t.config.at_path("eval.validation_batches")->text() == "3");
  }
  // An explicit count is kept; the test evaluation is unchanged by tuning.
  const Experiment explicit_count = load_experiment(
      folder.write("y.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01]}\n"),
      {"eval.validation_batches=7"});
  REQUIRE(explicit_count.trials.front().config.at_path("eval.validation_batches")->text() == "7");
  REQUIRE(explicit_count.trials.front().config.at_path("eval.batches")->text() == "3");
}
