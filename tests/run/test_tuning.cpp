// Per-arm tuning on hand-made results: each arm is reported at the value its
// validation figure favours, whatever the reported (test) figures say.
#include <fmt/format.h>

#include <attnlab/run/results.hpp>
#include <attnlab/run/tuning.hpp>
#include <attnlab/train/trainer.hpp>
#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

Experiment tuned_experiment(std::vector<std::string> values = {"0.001", "0.003", "0.01"}) {
  Experiment experiment;
  experiment.arms = {"A", "B"};
  experiment.tune = Tuning{"train.lr", std::move(values), "loss", true, {}};
  return experiment;
}

// Three finished seeds of `arm` at `value` with these validation and test losses.
void add(std::vector<TrialSummary>& trials, const std::string& arm, const std::string& value,
         double validation, double test) {
  for (uint64_t seed = 0; seed < 3; ++seed) {
    TrialSummary t;
    t.id = fmt::format("{}-{}-{}", arm, value, seed);
    t.arm = arm;
    t.tuned = value;
    t.seed = seed;
    t.status = TrialStatus::finished;
    const double wobble = 0.001 * static_cast<double>(seed);
    t.metrics = {{"eval_loss", test + wobble}, {"eval_loss[validation]", validation + wobble}};
    trials.push_back(t);
  }
}

std::string selected(const std::vector<TunedArm>& arms, const std::string& arm) {
  for (const TunedArm& a : arms)
    if (a.arm == arm) return a.selected ? *a.selected_value() : "none";
  return "?";
}

}  // namespace

TEST_CASE("tuning: one arm best at the low rate, another at the high one, each reported there") {
  const Experiment experiment = tuned_experiment();
  std::vector<TrialSummary> trials;
  add(trials, "A", "0.001", 0.10, 0.90);  // A's validation favours 0.001 ...
  add(trials, "A", "0.003", 0.30, 0.20);
  add(trials, "A", "0.01", 0.50, 0.05);  // ... though its test loss favours 0.01
  add(trials, "B", "0.001", 0.60, 0.01);
  add(trials, "B", "0.003", 0.40, 0.50);
  add(trials, "B", "0.01", 0.20, 0.90);  // B's validation favours 0.01, its test 0.001
  const std::vector<TunedArm> arms = select_tuned_values(experiment, trials);
  REQUIRE(selected(arms, "A") == "0.001");
  REQUIRE(selected(arms, "B") == "0.01");
  REQUIRE(arms[0].at_edge);  // both at an end of the grid: flagged
  REQUIRE(arms[1].at_edge);
  REQUIRE_FALSE(arms[0].provisional);
  // The tables report the test figures of the selected value, the poor ones here.
  const std::vector<TrialSummary> reported = at_selected_values(experiment, trials);
  REQUIRE(reported.size() == 6);
  for (const TrialSummary& t : reported) {
    REQUIRE(t.tuned == (t.arm == "A" ? "0.001" : "0.01"));
    REQUIRE(t.metrics.front().second >= 0.9);
  }
  const std::string table = tuning_table(experiment, trials);
  REQUIRE_THAT(table, Contains("| A | 0.001 | 3 | 0 | 0.1010 ± 0.0010 | **selected** (at the edge "
                               "of the grid) |") &&
                          Contains("| A | 0.01 | 3 | 0 | 0.5010 ± 0.0010 |  |") &&
                          Contains("B: the selected train.lr = 0.01 is at the edge of the grid"));
}

TEST_CASE("tuning: with tune.seeds, some seeds only select and the others only report") {
  Experiment experiment = tuned_experiment({"0.001", "0.01"});
  experiment.tune->seeds = {0};  // seed 0 selects; seeds 1 and 2 are reported
  std::vector<TrialSummary> trials;
  add(trials, "A", "0.001", 0.5, 0.5);
  add(trials, "A", "0.01", 0.5, 0.5);
  add(trials, "B", "0.001", 0.5, 0.5);
  add(trials, "B", "0.01", 0.5, 0.5);
  for (TrialSummary& t : trials)  // seed 0 favours 0.01; the reported seeds 0.001
    t.metrics.back().second = (t.seed == 0) == (t.tuned == "0.01") ? 0.1 : 0.9;
  for (const TunedArm& arm : select_tuned_values(experiment, trials)) {
    REQUIRE(*arm.selected_value() == "0.01");
    REQUIRE(arm.candidates[0].planned == 1);  // only the selecting seed counts
  }
  const std::vector<TrialSummary> reported = at_selected_values(experiment, trials);
  REQUIRE(reported.size() == 4);
  for (const TrialSummary& t : reported) REQUIRE((t.seed != 0 && t.tuned == "0.01"));
  REQUIRE_THAT(tuning_table(experiment, trials),
               Contains("averaged over seeds 0") && Contains("Those seeds only select"));
  experiment.tune->seeds.clear();
  REQUIRE_THAT(tuning_table(experiment, trials), Contains("carry the optimism"));
}

TEST_CASE("tuning: the test evaluation never enters the selection") {
  const Experiment experiment = tuned_experiment();
  std::vector<TrialSummary> trials;
  add(trials, "A", "0.001", 0.30, 0.5);
  add(trials, "A", "0.003", 0.10, 0.5);  // a value inside the grid: not at the edge
  add(trials, "A", "0.01", 0.20, 0.5);
  add(trials, "B", "0.001", 0.30, 0.5);
  add(trials, "B", "0.003", 0.20, 0.5);
  add(trials, "B", "0.01", 0.25, 0.5);
  const std::vector<TunedArm> before = select_tuned_values(experiment, trials);
  REQUIRE(selected(before, "A") == "0.003");
  REQUIRE_FALSE(before[0].at_edge);
  // Any test figures at all, even ones that cannot be compared, select the same.
  for (const double test : {0.0, 1e9, -1.0, std::nan("")}) {
    std::vector<TrialSummary> changed = trials;
    for (TrialSummary& t : changed) t.metrics.front().second = test;
    const std::vector<TunedArm> after = select_tuned_values(experiment, changed);
    for (std::size_t a = 0; a < after.size(); ++a) REQUIRE(after[a].selected == before[a].selected);
  }
  // Without the validation figure, nothing is selected: there is no fallback to the test one.
  std::vector<TrialSummary> without = trials;
  for (TrialSummary& t : without) t.metrics.pop_back();
  for (const TunedArm& arm : select_tuned_values(experiment, without))
    REQUIRE_FALSE(arm.selected.has_value());
  REQUIRE(at_selected_values(experiment, without).empty());
}

TEST_CASE("tuning: a value that failed or diverged in a seed is passed over, a pending one noted") {
  const Experiment experiment = tuned_experiment({"a", "b"});  // not numbers: no edge
  std::vector<TrialSummary> trials;
  add(trials, "A", "a", 0.10, 0.5);
  add(trials, "A", "b", 0.20, 0.5);
  add(trials, "B", "a", 0.10, 0.5);
  add(trials, "B", "b", 0.20, 0.5);
  trials[0].metrics.back().second = std::nan("");  // A at a: one seed diverged
  trials[3].status = TrialStatus::failed;          // A at b: one seed failed
  trials[6].status = TrialStatus::pending;         // B at a: one seed not run yet
  const std::vector<TunedArm> arms = select_tuned_values(experiment, trials);
  REQUIRE(selected(arms, "A") == "none");
  REQUIRE(arms[0].provisional);  // a failure of the machine's (no divergence): it may rerun
  REQUIRE(selected(arms, "B") == "b");
  REQUIRE(arms[1].provisional);
  REQUIRE_FALSE(arms[1].at_edge);
  const std::string table = tuning_table(experiment, trials);
  REQUIRE_THAT(table, Contains("A: no value can be selected yet") &&
                          Contains("B: provisional: some of its selecting trials have not run"));
  // The results table says how far an arm without a value has got, and leaves out
  // the validation figures (biased at the selected value: the tuning table has them).
  const std::string results = results_table(experiment, trials);
  REQUIRE_THAT(results, Contains("| A | 0 | 0 | none yet (5 of 6 selecting trials finished) |") &&
                            Contains("| B | 3 | 0 | b (provisional) |") &&
                            !Contains("[validation]"));
  // A seed whose training diverged settles it: that value is out, and nothing waits.
  std::vector<TrialSummary> settled = trials;
  settled[3].failure = std::string(kDivergedMessage) + ": loss is nan at step 12";
  REQUIRE_FALSE(select_tuned_values(experiment, settled)[0].provisional);
  REQUIRE_THAT(results_table(experiment, settled),
               Contains("| A | 0 | 0 | none (every value diverged or gave a non-finite "
                        "validation figure in a seed) |"));
  REQUIRE_THAT(tuning_table(experiment, settled),
               Contains("| finished | diverged | failed |") && Contains("| A | b | 2 | 1 | 0 |") &&
                   Contains("A: no value can be selected, and none will be: every value "
                            "diverged or gave") &&
                   !Contains("A: no value can be selected yet"));
  // A tie goes to the value listed first.
  std::vector<TrialSummary> tie;
  add(tie, "A", "a", 0.2, 0.5);
  add(tie, "A", "b", 0.2, 0.5);
  REQUIRE(selected(select_tuned_values(experiment, tie), "A") == "a");
  // Accuracy is selected at its highest.
  Experiment accuracy = experiment;
  accuracy.tune->metric = "accuracy";
  accuracy.tune->lower_is_better = false;
  std::vector<TrialSummary> by_accuracy;
  add(by_accuracy, "A", "a", 0.2, 0.5);
  add(by_accuracy, "A", "b", 0.9, 0.5);
  for (TrialSummary& t : by_accuracy) t.metrics.back().first = "eval_accuracy[validation]";
  REQUIRE(selected(select_tuned_values(accuracy, by_accuracy), "A") == "b");
  // Several values at an accuracy of 1: the lower validation loss decides, not the order.
  std::vector<TrialSummary> saturated;
  add(saturated, "A", "a", 1.0, 0.5);
  add(saturated, "A", "b", 1.0, 0.5);
  for (TrialSummary& t : saturated) {
    t.metrics.back().first = "eval_accuracy[validation]";
    t.metrics.emplace_back("eval_loss[validation]", t.tuned == "a" ? 0.02 : 0.01);
  }
  REQUIRE(selected(select_tuned_values(accuracy, saturated), "A") == "b");
  // The tuning table shows what broke the tie.
  const std::string tie_table = tuning_table(accuracy, saturated);
  REQUIRE_THAT(tie_table,
               Contains("| eval_loss[validation] (breaks ties) | selected |") &&
                   Contains("| A | a | 3 | 0 | 1.0010 ± 0.0010 | 0.0200 |  |") &&
                   Contains("| A | b | 3 | 0 | 1.0010 ± 0.0010 | 0.0100 | **selected**"));
  REQUIRE(select_tuned_values(Experiment{}, trials).empty());
  REQUIRE(at_selected_values(Experiment{}, trials).size() == trials.size());
}

TEST_CASE("tuning: a reported seed that diverged at the selected value is said in the conclusion") {
  Experiment experiment = tuned_experiment({"a", "b"});
  experiment.tune->seeds = {0};  // seed 0 selects; seeds 1 and 2 are reported
  experiment.conclusion = Conclusion{"eval_loss", true, "A", {"B"}};
  std::vector<TrialSummary> trials;
  add(trials, "A", "a", 0.10, 0.5);
  add(trials, "A", "b", 0.20, 0.5);
  add(trials, "B", "a", 0.10, 0.5);
  add(trials, "B", "b", 0.20, 0.5);
  TrialSummary& reported = trials[8];  // B at a (selected), seed 2
  REQUIRE((reported.arm == "B" && reported.tuned == "a" && reported.seed == 2));
  reported.status = TrialStatus::failed;
  reported.failure = std::string(kDivergedMessage) + ": loss is nan at step 7";
  reported.metrics.clear();
  const std::string conclusion = conclusion_text(experiment, trials);
  INFO(conclusion);
  REQUIRE_THAT(
      conclusion,
      Contains("(without figures, as their training diverged: B: 1 of 2 seeds diverged)") &&
          !Contains("incomplete"));
}
