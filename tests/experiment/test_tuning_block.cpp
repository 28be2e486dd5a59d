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
  return load_refusal(std::string(kTwoArms) + tune);
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
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 1e-3]}"),
               Contains("x.yaml:9:26: tune.train.lr: 1e-3 is 0.001 again (the same number)"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], train.warmup: [1, 2]}"),
               Contains("tune.train.warmup: a second key to tune"));
  REQUIRE_THAT(refusal("tune: {select: loss}"), Contains("tune: no key to tune"));
  // A value of the tuned key set elsewhere would never be used.
  const TemporaryFolder tuned_folder;
  const std::string tuned =
      tuned_folder.write("t.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01]}");
  REQUIRE_THROWS_WITH(load_experiment(tuned, {"train.lr=0.5"}),
                      Contains("command line (-o train.lr=0.5)") &&
                          Contains("train.lr: found '0.5', but it is tuned (tune:)"));
  REQUIRE_NOTHROW(load_experiment(tuned, {"train.lr=0.5", "tune="}));
  // The grid from the command line: after "tune." the rest is one (dotted) key.
  const Experiment regridded = load_experiment(tuned, {"tune.train.lr=[0.1, 0.3, 1]"});
  REQUIRE(regridded.tune->values == std::vector<std::string>{"0.1", "0.3", "1"});
  REQUIRE_THROWS_WITH(load_experiment(tuned, {"tune.train.warmup=[1, 2]"}),
                      Contains("tune.train.warmup: a second key to tune"));
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
  // -o tune= switches it off: a quick run at the file's own learning rate.
  const Experiment off = load_experiment(
      folder.write("z.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01]}\n"),
      {"tune=", "solved="});
  REQUIRE_FALSE(off.tune.has_value());
  REQUIRE(off.trials.size() == 4);
  REQUIRE(off.trials.front().tuned.empty());
  REQUIRE(describe_trials(off) == "2 arms x 2 seeds");
  REQUIRE(describe_trials(e) == "2 arms x 3 values of train.lr x 2 seeds");
  // tune.seeds: seeds that only select, run first at every value.
  const Experiment selecting = load_experiment(folder.write(
      "s.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01], seeds: [100, 101]}"));
  REQUIRE(selecting.trials.size() == 2 * 2 * 4);
  REQUIRE(selecting.tune->seeds == std::vector<uint64_t>{100, 101});
  REQUIRE(selecting.trials[0].seed == 100);
  REQUIRE(selecting.trials[2].seed == 0);
  REQUIRE(describe_trials(selecting) ==
          "2 arms x 2 values of train.lr x 4 seeds (2 of them only "
          "select)");
  // Switched off from the command line: the reported seeds select.
  const Experiment unselecting = load_experiment(
      folder.write("s.yaml", std::string(kTwoArms) + "tune: {train.lr: [0.001, 0.01], seeds: [100, "
                                                     "101]}"),
      {"tune.seeds="});
  REQUIRE(unselecting.tune->seeds.empty());
  REQUIRE(unselecting.trials.size() == 2 * 2 * 2);
}

TEST_CASE("tune.seeds are seeds of their own, and validation figures are not concluded on") {
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: [1, 100]}"),
               Contains("tune.seeds: seed 1 is also a reported seed (seeds: at "));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: [100, 100]}"),
               Contains("tune.seeds: seed 100 is listed twice"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: [-1]}"),
               Contains("tune.seeds: found '-1', expected an integer >= 0"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: 3}"), Contains("tune.seeds: found"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: []}"),
               Contains("tune.seeds: found an empty list") && Contains("-o tune.seeds="));
  // Written in a file, an empty seeds: is refused (it would silently select on the
  // reported seeds); only the command line's -o tune.seeds= switches them off.
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: }"), Contains("tune.seeds: found"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: ~}"), Contains("tune.seeds: found"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01], seeds: ''}"),
               Contains("tune.seeds: found"));
  REQUIRE_THAT(refusal("tune: {seeds: [100]}"), Contains("only seeds: tune.seeds set on an "
                                                         "experiment without a tune: block?"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01]}\nconclusion: {figure: "
                       "'eval_loss[validation]', baseline: heads.count=1}"),
               Contains("conclusion.figure: eval_loss[validation] is what tune: selects") &&
                   Contains("use the test figure (eval_loss)"));
  REQUIRE_THAT(refusal("tune: {train.lr: [0.001, 0.01]}\nsolved: {figure: "
                       "'eval_accuracy[validation]', at_least: 0.9}"),
               Contains("solved.figure: eval_accuracy[validation] is what tune: selects"));
  // An arm's own eval.batches sets its validation count; an arm's 0 is refused where it is.
  TemporaryFolder folder;
  const Experiment per_arm = load_experiment(folder.write("a.yaml", R"(
model: {d_model: 16, layers: 1, ffn: 32}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1}
ablation: {grid: {eval.batches: [2, 5]}}
tune: {train.lr: [0.001, 0.01]}
)"));
  REQUIRE(per_arm.trials.front().config.at_path("eval.validation_batches")->text() == "2");
  REQUIRE(per_arm.trials.back().config.at_path("eval.validation_batches")->text() == "5");
  REQUIRE_THROWS_WITH(load_experiment(folder.write("b.yaml", R"(
model: {d_model: 16, layers: 1, ffn: 32}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1}
ablation: {grid: {eval.validation_batches: [0, 4]}}
tune: {train.lr: [0.001, 0.01]}
)")),
                      Contains("b.yaml:5:45: eval.validation_batches: found 0"));
}
