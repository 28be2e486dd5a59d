// An experiment's conclusion: checked against its arms and figures when loaded,
// computed from the finished seeds' numbers after the run.
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/run/results.hpp>
#include <catch2/catch.hpp>
#include <cmath>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kTwoArms = R"(
model: {d_model: 16, layers: 1, ffn: 32}
heads: {count: 2}
task: {name: copy, symbols: 4, length: 3}
train: {steps: 1}
eval: {lengths: [5]}
ablation: {grid: {heads.count: [1, 2]}}
seeds: 3
)";

std::string refusal(const std::string& conclusion) {
  return load_refusal(std::string(kTwoArms) + conclusion);
}

// Finished summaries of arm `arm` with the given values of `figure`.
void add_seeds(std::vector<TrialSummary>& summaries, const std::string& arm,
               const std::string& figure, const std::vector<double>& values) {
  for (const double value : values) {
    TrialSummary s;
    s.arm = arm;
    s.status = TrialStatus::finished;
    s.metrics = {{figure, value}};
    summaries.push_back(s);
  }
}

}  // namespace

TEST_CASE("a conclusion names a known figure and arms, or is refused where it is written") {
  REQUIRE_THAT(refusal("conclusion: {figure: eval_acuracy, baseline: heads.count=1}"),
               Contains("x.yaml:9:") &&
                   Contains("conclusion.figure: found 'eval_acuracy' (did "
                            "you mean 'eval_accuracy'?)") &&
                   Contains("eval_accuracy@5"));
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss, baseline: heads.count=3}"),
               Contains("conclusion.baseline: found 'heads.count=3'") &&
                   Contains("heads.count=1 | heads.count=2"));
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss}"),
               Contains("conclusion.baseline: missing"));
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss, baseline: heads.count=1, paired: yes}"),
               Contains("conclusion.paired: found 'yes', expected true (seed by seed: paired t) "
                        "or false (Welch)"));
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss, baseline: heads.count=1, versus: "
                       "heads.count=1}"),
               Contains("x.yaml:9:66: conclusion.versus: 'heads.count=1' is the baseline"));
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss, baseline: heads.count=1, versus: "
                       "[heads.count=2, heads.count=2]}"),
               Contains("'heads.count=2' is listed twice"));
  // A figure no compared arm measures (generation is off); one seed per arm is a smoke run.
  REQUIRE_THAT(refusal("conclusion: {figure: eval_generation_accuracy, baseline: heads.count=1}"),
               Contains("conclusion.figure: found 'eval_generation_accuracy'") &&
                   Contains("(the figures arm 'heads.count=1' measures)"));
  {
    TemporaryFolder one_seed;
    const std::string path =
        one_seed.write("x.yaml", std::string(kTwoArms) +
                                     "conclusion: {figure: eval_loss, baseline: heads.count=1}");
    REQUIRE_NOTHROW(load_experiment(path, {"seeds=1"}));
  }
  REQUIRE_THAT(refusal("conclusion: {figure: eval_loss, baseline: heads.count=1, colour: red}"),
               Contains("conclusion.colour: unknown key"));
  TemporaryFolder folder;
  const Experiment ok = load_experiment(folder.write(
      "x.yaml",
      std::string(kTwoArms) + "conclusion: {figure: eval_loss@5, baseline: heads.count=1}"));
  REQUIRE(ok.conclusion->versus == std::vector<std::string>{"heads.count=2"});
  REQUIRE(ok.conclusion->lower_is_better);
  // -o conclusion= switches it off, as -o tune= and -o solved= do theirs.
  const Experiment off = load_experiment(
      folder.write("y.yaml", std::string(kTwoArms) +
                                 "conclusion: {figure: eval_loss@5, baseline: heads.count=1}"),
      {"conclusion="});
  REQUIRE_FALSE(off.conclusion.has_value());
}

TEST_CASE("the conclusion is the Welch interval of the difference, and says what it shows") {
  Experiment experiment;
  experiment.arms = {"h=1", "h=4", "h=8", "h=16"};
  experiment.conclusion = Conclusion{"eval_accuracy", false, "h=1", {"h=4", "h=8", "h=16"}};
  std::vector<TrialSummary> summaries;
  add_seeds(summaries, "h=1", "eval_accuracy", {1, 2, 3});
  add_seeds(summaries, "h=4", "eval_accuracy", {4, 5, 6});  // +3, clearly above 0
  add_seeds(summaries, "h=8", "eval_accuracy", {0, 2, 4});  // +0, the interval holds 0
  add_seeds(summaries, "h=16", "eval_accuracy", {7});       // one seed: no interval
  const std::string text = conclusion_text(experiment, summaries);
  INFO(text);
  // Equal variances of 1, n = 3: Welch's df = 4, half-width t(0.975, 4) sqrt(2/3) = 2.2670.
  REQUIRE_THAT(text, Contains("h=4 vs h=1 on eval_accuracy (higher is better): difference of "
                              "means +3.0000 [+0.7330, +5.2670]") &&
                         Contains("3 vs 3 seeds): h=4 is better"));
  REQUIRE_THAT(text, Contains("h=8 vs h=1") && Contains("the interval includes 0"));
  REQUIRE_THAT(text, Contains("h=16 vs h=1") && Contains("no interval: 1 and 3 seeds with a "
                                                         "finite value"));
  REQUIRE_THAT(text, Contains("(3 comparisons, each interval on its own: not corrected"));
  REQUIRE_THAT(text, !Contains("incomplete"));    // every planned seed finished
  experiment.conclusion->lower_is_better = true;  // the same numbers, for a loss
  REQUIRE_THAT(conclusion_text(experiment, summaries), Contains("h=4 is worse"));
  experiment.conclusion.reset();
  REQUIRE(conclusion_text(experiment, summaries).empty());
}

TEST_CASE("a paired conclusion pairs each arm's seeds with the baseline's by seed number") {
  Experiment experiment;
  experiment.arms = {"a", "b"};
  experiment.conclusion = Conclusion{"eval_loss", true, "a", {"b"}, true};
  std::vector<TrialSummary> summaries;
  // Seeds move both arms alike; b is 0.01 higher on every seed, give or take 0.001,
  // and its seeds are listed in another order (pairs follow seed numbers).
  const auto add = [&](const std::string& arm, uint64_t seed, double value) {
    add_seeds(summaries, arm, "eval_loss", {value});
    summaries.back().seed = seed;
  };
  for (const auto& [seed, value] : std::vector<std::pair<uint64_t, double>>{
           {0, 1.50}, {1, 1.60}, {2, 1.70}, {3, 1.80}, {4, 1.90}})
    add("a", seed, value);
  for (const auto& [seed, value] : std::vector<std::pair<uint64_t, double>>{
           {4, 1.909}, {3, 1.811}, {2, 1.710}, {1, 1.609}, {0, 1.511}})
    add("b", seed, value);
  // d = 0.011, 0.009, 0.010, 0.011, 0.009: mean 0.01, s = 0.001, half-width
  // t(0.975, 4) 0.001 / sqrt(5) = 0.0012.
  const std::string paired = conclusion_text(experiment, summaries);
  INFO(paired);
  REQUIRE_THAT(paired, Contains("b vs a on eval_loss (lower is better): mean of the seeds' "
                                "differences +0.0100 [+0.0088, +0.0112] (95% interval, paired t; "
                                "5 pairs of seeds): b is worse"));
  experiment.conclusion->paired = false;  // Welch sees the seeds' spread, not the pairs
  REQUIRE_THAT(conclusion_text(experiment, summaries),
               Contains("(95% interval, Welch; 5 vs 5 seeds): the interval includes 0"));
  experiment.conclusion->paired = true;  // a seed without a partner is left out of the pairs
  summaries.back().status = TrialStatus::failed;
  summaries.back().metrics.clear();
  REQUIRE_THAT(conclusion_text(experiment, summaries),
               Contains("(95% interval, paired t; 4 pairs"));
  {  // seeds that do not meet: 4 and 5 seeds finished, none of them in both
    std::vector<TrialSummary> apart = summaries;
    for (TrialSummary& s : apart)
      if (s.arm == "b" && s.seed != 0) s.seed += 10;
    REQUIRE_THAT(conclusion_text(experiment, apart),
                 Contains("no interval: 4 and 5 seeds with a finite value, 0 of them in both"));
  }
  for (TrialSummary& s : summaries) s.metrics = {{"eval_loss", s.arm == "a" ? 1.0 : 1.5}};
  summaries.back().status = TrialStatus::finished;
  REQUIRE_THAT(conclusion_text(experiment, summaries),
               Contains("no spread: the difference is +0.5000 on each of the 5 pairs of seeds"));
}

TEST_CASE("a one-seed run draws no conclusion and says why") {
  Experiment experiment;
  experiment.arms = {"a", "b"};
  experiment.conclusion = Conclusion{"eval_loss", true, "a", {"b"}};
  std::vector<TrialSummary> summaries;
  add_seeds(summaries, "a", "eval_loss", {1});
  add_seeds(summaries, "b", "eval_loss", {2});
  REQUIRE(conclusion_text(experiment, summaries) ==
          "no conclusion drawn: no arm compared ran more than 1 seed, and an interval of a "
          "difference needs at least 2 in each arm (seeds: 2 or more)\n");
  summaries.back().status = TrialStatus::failed;  // b's one seed failed: said too
  summaries.back().metrics.clear();
  REQUIRE_THAT(
      conclusion_text(experiment, summaries),
      Contains("no conclusion drawn") && Contains("(incomplete: b: 0 of 1 seeds finished)"));
}

TEST_CASE("a conclusion without spread says so, and names arms that did not finish") {
  Experiment experiment;
  experiment.arms = {"a", "b"};
  experiment.conclusion = Conclusion{"eval_exact_match", false, "a", {"b"}};
  std::vector<TrialSummary> summaries;
  add_seeds(summaries, "a", "eval_exact_match", {0, 0, 0});
  add_seeds(summaries, "b", "eval_exact_match", {1, 1, 1});
  const std::string constant = conclusion_text(experiment, summaries);
  REQUIRE_THAT(constant, Contains("no spread in any seed") && Contains("+1.0000 in every pair") &&
                             !Contains(": b is better"));
  summaries.back().status = TrialStatus::failed;  // one of b's seeds failed
  summaries.back().metrics.clear();
  const std::string partial = conclusion_text(experiment, summaries);
  REQUIRE_THAT(partial, Contains("(incomplete: b: 2 of 3 seeds finished)"));
}

TEST_CASE("a solved rule names a figure every arm measures and a threshold within its range") {
  REQUIRE_THAT(refusal("solved: {figure: eval_exact_macth, at_least: 0.99}"),
               Contains("x.yaml:9:") && Contains("solved.figure: found 'eval_exact_macth'") &&
                   Contains("did you mean 'eval_exact_match'"));
  REQUIRE_THAT(refusal("solved: {figure: eval_exact_match, at_least: 1.5}"),
               Contains("solved.at_least: found '1.5', expected a number in [0, 1], the range "
                        "of eval_exact_match"));
  REQUIRE_THAT(refusal("solved: {figure: eval_exact_match, at_least: high}"),
               Contains("solved.at_least: found 'high'"));
  REQUIRE_THAT(refusal("solved: {figure: eval_loss, at_least: 0.1}"),
               Contains("solved.at_least: eval_loss is better lower") && Contains("use at_most"));
  REQUIRE_THAT(refusal("solved: {figure: eval_loss, at_most: -1}"),
               Contains("expected a finite number in [0, inf]"));
  for (const char* infinite : {"inf", ".inf"})
    REQUIRE_THAT(refusal(fmt::format("solved: {{figure: eval_loss, at_most: {}}}", infinite)),
                 Contains("expected a finite number in [0, inf]"));
  REQUIRE_THAT(refusal("solved: {figure: eval_accuracy, at_least: 0.9, at_most: 1}"),
               Contains("solved: found both, expected exactly one of at_least and at_most"));
  REQUIRE_THAT(refusal("solved: {figure: eval_accuracy}"), Contains("found neither"));
  REQUIRE_THAT(refusal("solved: {figure: eval_accuracy, above: 0.5}"),
               Contains("solved.above: unknown key"));
  REQUIRE_THAT(refusal("solved: eval_accuracy"), Contains("solved: found"));
  TemporaryFolder folder;
  const Experiment ok = load_experiment(folder.write(
      "x.yaml", std::string(kTwoArms) + "solved: {figure: eval_exact_match@5, at_least: 0.99}"));
  REQUIRE(ok.solved->figure == "eval_exact_match@5");
  REQUIRE(ok.solved->threshold == 0.99);
  REQUIRE_FALSE(ok.solved->at_most);
  REQUIRE(ok.solved->solves(0.99));
  REQUIRE_FALSE(ok.solved->solves(0.98));
  const Experiment loss = load_experiment(
      folder.write("y.yaml", std::string(kTwoArms) + "solved: {figure: eval_loss, at_most: 0.05}"));
  REQUIRE(loss.solved->solves(0.05));
  REQUIRE_FALSE(loss.solved->solves(0.06));
  REQUIRE_FALSE(loss.solved->solves(std::nan("")));  // a diverged seed solved nothing
}

TEST_CASE("tables give k of n seeds solved with Clopper-Pearson and intervals within the range") {
  Experiment experiment;
  experiment.arms = {"a", "b"};
  experiment.conclusion = Conclusion{"eval_exact_match", false, "a", {"b"}};
  experiment.solved = SolvedRule{"eval_exact_match", 0.99, false};
  std::vector<TrialSummary> summaries;
  add_seeds(summaries, "a", "eval_exact_match", {1, 1, 1, 1, 0});  // bimodal: t leaves [0, 1]
  add_seeds(summaries, "b", "eval_exact_match", {0.2, 0.995, 0.3, 0.1, NAN});
  TrialSummary diverged;  // a seed whose training diverged did not solve it: it counts in n
  diverged.arm = "b";
  diverged.status = TrialStatus::failed;
  diverged.failure = "training diverged: loss is nan at step 3";
  summaries.push_back(diverged);
  const std::string table = results_table(experiment, summaries);
  INFO(table);
  // Clopper-Pearson 4 of 5: [0.2836, 0.9949]; 1 of 5: [0.0051, 0.7164].
  // Clopper-Pearson 1 of 6: [0.0042, 0.6412].
  REQUIRE_THAT(table, Contains("| solved (eval_exact_match >= 0.99) |") &&
                          Contains("| arm | finished | diverged | failed |") &&
                          Contains("| a | 5 | 0 | 0 | 4 of 5 [0.28, 0.99] |") &&
                          Contains("| b | 5 | 1 | 0 | 1 of 6 [0.00, 0.64] |"));
  // Every resample of {1,1,1,1,0}: the lowest ranks mean 0 (1 of 3125) and 0.2 (20),
  // and the expanded tail, 0.00095, falls among the 0.2s.
  REQUIRE_THAT(table, Contains("0.8000 ± 0.4472 [0.2000, 1.0000]"));
  const std::string conclusion = conclusion_text(experiment, summaries);
  REQUIRE_THAT(conclusion, Contains("solved (eval_exact_match >= 0.99; Clopper-Pearson 95% "
                                    "interval): a 4 of 5 [0.28, 0.99]; b 1 of 6 [0.00, 0.64]"));
  // The diverged seed is a result: said, and the conclusion is not incomplete for it.
  REQUIRE_THAT(
      conclusion,
      Contains("(without figures, as their training diverged: b: 1 of 6 seeds diverged)") &&
          !Contains("incomplete"));
}
