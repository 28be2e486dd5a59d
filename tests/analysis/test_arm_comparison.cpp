// compare_arms on hand-made results: the verdict's direction, baselines over
// zipped axes, and the notes for seeds that diverged or do not vary.
#include <algorithm>
#include <attnlab/analysis/arm_comparison.hpp>
#include <attnlab/analysis/comparison_format.hpp>
#include <attnlab/train/trainer.hpp>
#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;
using namespace attnlab::analysis;
using Catch::Contains;

namespace {

using Axes = std::vector<std::pair<std::string, std::string>>;

// Results with one finished trial per value, arm by arm.
ExperimentResults results_of(const std::vector<std::pair<Axes, std::vector<double>>>& arms) {
  ExperimentResults results{OutputLayout("/nonexistent"), {}, {}, {}, {}};
  int64_t index = 0;
  for (const auto& [axes, values] : arms) {
    std::string label;
    for (const auto& [k, v] : axes) label += (label.empty() ? "" : ", ") + k + "=" + v;
    results.plan.arms.push_back(label);
    for (std::size_t s = 0; s < values.size(); ++s) {
      TrialSummary t;
      t.id = std::to_string(index);
      t.index = index++;
      t.arm = label;
      t.seed = s;
      t.status = TrialStatus::finished;
      t.axes = axes;
      t.metrics = {{"eval_accuracy", values[s]}};
      results.trials.push_back(t);
    }
  }
  results.all_trials = results.trials;
  return results;
}

}  // namespace

TEST_CASE("the verdict takes each test's own direction") {
  std::vector<double> arm(9, 0.60), baseline(10, 0.55);
  arm.push_back(0.0);  // one diverged-looking seed pulls the mean below the baseline's
  const ComparisonTable table = compare_arms(
      results_of({{{{"x", "0"}}, baseline}, {{{"x", "1"}}, arm}}), "eval_accuracy", "x=0");
  REQUIRE(table.rows.size() == 1);
  REQUIRE(table.rows[0].difference.difference < 0);
  REQUIRE(table.rows[0].verdict == "higher (rank test only)");
}

TEST_CASE("a baseline over a grid pairs arms that differ in one axis, zipped keys count as it") {
  // grid positional x zip (heads, ffn): heads=1 goes with ffn=32, heads=4 with ffn=64.
  const auto arm = [](const char* p, const char* h, const char* f, double v) {
    return std::pair<Axes, std::vector<double>>{{{"positional", p}, {"heads", h}, {"ffn", f}},
                                                {v, v + 0.01, v + 0.02}};
  };
  const ComparisonTable table =
      compare_arms(results_of({arm("none", "1", "32", 0.3), arm("none", "4", "64", 0.5),
                               arm("rope", "1", "32", 0.6), arm("rope", "4", "64", 0.9)}),
                   "eval_accuracy", "heads=1");
  REQUIRE(table.rows.size() == 2);
  REQUIRE(table.rows[0].baseline.arm == "positional=none, heads=1, ffn=32");
  REQUIRE(table.rows[1].baseline.arm == "positional=rope, heads=1, ffn=32");
  REQUIRE(table.rows[1].difference.difference == Approx(0.3));
}

TEST_CASE("diverged seeds are left out and said, samples that do not vary have no Welch p") {
  const ComparisonTable diverged =
      compare_arms(results_of({{{{"x", "0"}}, {0.5, 0.6, 0.7}}, {{{"x", "1"}}, {0.9, NAN, 0.8}}}),
                   "eval_accuracy", "x=0");
  REQUIRE(diverged.rows[0].arm.values.size() == 2);
  REQUIRE(diverged.rows[0].arm.diverged == 1);
  REQUIRE_THAT(diverged.notes.front(), Contains("2 of 3 seeds counted") && Contains("diverged"));
  const ComparisonTable flat =
      compare_arms(results_of({{{{"x", "0"}}, {1.0, 1.0}}, {{{"x", "1"}}, {0.999, 0.999}}}),
                   "eval_accuracy", "x=0");
  REQUIRE(std::isnan(flat.rows[0].mean_test.p));
  REQUIRE(flat.rows[0].verdict == "no difference shown");
  // Its difference is a point, not an interval: empty bounds in CSV.
  const std::string csv = format_comparison(flat, TextFormat::csv);
  REQUIRE_THAT(csv, Contains("difference,difference_low,difference_high") &&
                        Contains(",-0.0010000000000000009,,,"));
  REQUIRE_THAT(flat.notes.front(), Contains("no spread"));
  const ComparisonTable one_each = compare_arms(
      results_of({{{{"x", "0"}}, {0.1}}, {{{"x", "1"}}, {0.9}}}), "eval_accuracy", "x=0");
  REQUIRE(one_each.rows[0].verdict == "too few seeds");
  // One seed against three cannot reach 0.05 (p >= 2/4) and stays out of Holm's correction.
  const ComparisonTable one_against_few = compare_arms(
      results_of(
          {{{{"x", "0"}}, {0.1, 0.2, 0.3}}, {{{"x", "1"}}, {0.9}}, {{{"x", "2"}}, {1, 1, 1}}}),
      "eval_accuracy", "x=0");
  REQUIRE(one_against_few.rows[0].verdict == "too few seeds");
  REQUIRE(std::isnan(one_against_few.rows[0].rank.p));
  REQUIRE(one_against_few.rows[1].rank_holm == Approx(one_against_few.rows[1].rank.p));
}

TEST_CASE("compare shows the interval asked for and counts the seeds that solved it") {
  const ExperimentResults results =
      results_of({{{{"x", "0"}}, {0.2, 0.3, 0.1, 0.25, 0.2}}, {{{"x", "1"}}, {1, 1, 1, 1, 0.02}}});
  const ComparisonTable bootstrap = compare_arms(results, "eval_accuracy", "x=0");
  REQUIRE(bootstrap.interval == MeanInterval::bootstrap);
  const SampleSummary& bimodal = bootstrap.rows[0].arm.summary;
  REQUIRE(bimodal.ci_high > 1.0);  // t leaves [0, 1]; the bootstrap interval does not
  REQUIRE((bimodal.boot_low >= 0.02 && bimodal.boot_high <= 1.0));
  REQUIRE_FALSE(bootstrap.rows[0].arm.solved.has_value());
  for (const std::string& note : bootstrap.notes) REQUIRE_THAT(note, !Contains("leaves"));
  const ComparisonTable t = compare_arms(results, "eval_accuracy", "x=0", {MeanInterval::t, 0.99});
  REQUIRE_THAT(t.notes.back() + t.notes.front(), Contains("leaves [0, 1]"));
  REQUIRE(t.rows[0].arm.solved->solved == 4);
  REQUIRE(t.rows[0].arm.solved->seeds == 5);
  REQUIRE(t.rows[0].arm.solved->interval.low == Approx(0.2836).margin(1e-4));
  REQUIRE(t.rows[0].baseline.solved->solved == 0);
  // A seed whose training diverged has no figure and did not solve it, as the run's table counts.
  ExperimentResults failed = results;
  failed.trials[9].status = TrialStatus::failed;
  failed.trials[9].metrics.clear();
  failed.trials[9].failure = std::string(kDivergedMessage) + ": loss is nan at step 3";
  failed.all_trials = failed.trials;
  const ComparisonTable with_failed =
      compare_arms(failed, "eval_accuracy", "x=0", {MeanInterval::t, 0.99});
  REQUIRE(with_failed.rows[0].arm.diverged == 1);
  REQUIRE(with_failed.rows[0].arm.solved->solved == 4);
  REQUIRE(with_failed.rows[0].arm.solved->seeds == 5);
  REQUIRE_THROWS_WITH(compare_arms(results, "eval_accuracy", "x=0", {MeanInterval::t, 1.5}),
                      Contains("--solved 1.5: outside [0, 1], the range of eval_accuracy"));
  ExperimentResults counted = results;
  for (TrialSummary& trial : counted.trials) trial.metrics.emplace_back("parameters", 100);
  counted.all_trials = counted.trials;
  REQUIRE_THROWS_WITH(compare_arms(counted, "parameters", "x=0", {MeanInterval::t, 50}),
                      Contains("parameters is better neither higher nor lower"));
}

TEST_CASE("paired by seed: a shared seed effect cancels, missing partners are noted") {
  // Seeds move both arms alike; the arm is 0.01 above on every seed, give or take 0.001.
  const ExperimentResults results =
      results_of({{{{"x", "0"}}, {0.50, 0.60, 0.70, 0.80, 0.90, 0.55}},
                  {{{"x", "1"}}, {0.511, 0.609, 0.710, 0.811, 0.909, 0.561}}});
  const ComparisonTable unpaired = compare_arms(results, "eval_accuracy", "x=0");
  REQUIRE(unpaired.rows[0].verdict == "no difference shown");
  const ComparisonTable paired = compare_arms(results, "eval_accuracy", "x=0",
                                              {MeanInterval::bootstrap, {}, Pairing::by_seed});
  const ArmComparison& row = paired.rows[0];
  REQUIRE(row.pairs == 6);
  REQUIRE(row.difference.difference == Approx(0.01).epsilon(0.02));
  REQUIRE(row.difference.ci_low > 0.0);
  REQUIRE(row.mean_test.p < 1e-4);
  REQUIRE(row.rank.statistic == 21.0);  // all six higher: 1 + ... + 6
  REQUIRE(row.rank.p == Approx(2.0 / 64));
  REQUIRE(row.verdict == "higher");
  for (const std::string& note : paired.notes) REQUIRE_THAT(note, !Contains("paired with"));
  // Five pairs cannot bring the signed-rank test below 2/32 = 0.0625; the verdict says so.
  const ComparisonTable five =
      compare_arms(results_of({{{{"x", "0"}}, {0.50, 0.60, 0.70, 0.80, 0.90}},
                               {{{"x", "1"}}, {0.511, 0.609, 0.710, 0.811, 0.909}}}),
                   "eval_accuracy", "x=0", {MeanInterval::bootstrap, {}, Pairing::by_seed});
  REQUIRE(five.rows[0].verdict == "higher (paired t only)");
  REQUIRE_THAT(five.notes.back(),
               Contains("the exact signed-rank test cannot reach 0.05 in any row "
                        "with the seeds it has: p >= 0.0625 with 5 pairs of "
                        "seeds that differ (x=1); run more"));
  // Pairs that do not differ are not ranked: 6 pairs, 2 of them differing, floor 2 / 2^2.
  const ComparisonTable ties = compare_arms(
      results_of({{{{"x", "0"}}, {1, 1, 1, 1, 0.7, 0.6}}, {{{"x", "1"}}, {1, 1, 1, 1, 0.9, 0.8}}}),
      "eval_accuracy", "x=0", {MeanInterval::bootstrap, {}, Pairing::by_seed});
  REQUIRE(ties.rows[0].rank.ranked == 2);
  REQUIRE_THAT(ties.notes.back(), Contains("p >= 0.5 with 2 pairs of seeds that differ"));
  const ComparisonTable one_pair =
      compare_arms(results_of({{{{"x", "0"}}, {1, 1, 0.6}}, {{{"x", "1"}}, {1, 1, 0.8}}}),
                   "eval_accuracy", "x=0", {MeanInterval::bootstrap, {}, Pairing::by_seed});
  REQUIRE_THAT(one_pair.notes.back(),
               Contains("p >= 1 with 1 pair of seeds that differs (x=1)") && !Contains("Holm"));
  // Only the rows that cannot reach 0.05 are named: 3 pairs (p >= 0.25) cannot, 10 can.
  ExperimentResults uneven = results_of({{{{"x", "0"}}, std::vector<double>(10, 0.5)},
                                         {{{"x", "1"}}, {0.6, 0.7, 0.8}},
                                         {{{"x", "2"}}, std::vector<double>(10, 0.9)}});
  for (std::size_t i = 0; i < 10; ++i)
    uneven.trials[i].metrics = {{"eval_accuracy", 0.5 + 0.01 * static_cast<double>(i)}};
  uneven.all_trials = uneven.trials;
  const ComparisonTable mixed =
      compare_arms(uneven, "eval_accuracy", "x=0", {MeanInterval::bootstrap, {}, Pairing::by_seed});
  std::string floor_note;
  for (const std::string& note : mixed.notes)
    if (note.find("cannot reach") != std::string::npos) floor_note = note;
  REQUIRE_THAT(floor_note, Contains("in these rows with the seeds it has") &&
                               Contains("differ (x=1)") && Contains("p >= 0.25 with 3 pairs") &&
                               !Contains("x=2"));
  REQUIRE(mixed.rows[1].verdict == "higher");
  // A seed that diverged in the arm has no partner: 5 pairs, noted; the means keep every seed.
  ExperimentResults gap = results;
  gap.trials[7].metrics = {{"eval_accuracy", NAN}};
  gap.all_trials = gap.trials;
  const ComparisonTable partial =
      compare_arms(gap, "eval_accuracy", "x=0", {MeanInterval::bootstrap, {}, Pairing::by_seed});
  REQUIRE(partial.rows[0].pairs == 5);
  REQUIRE(partial.rows[0].baseline.values.size() == 6);
  bool noted = false;
  for (const std::string& note : partial.notes)
    noted = noted || note.find("on the 5 seed(s) both have") != std::string::npos;
  REQUIRE(noted);
  // Seeds are matched by number, not by position: the arm's seeds in another order.
  ExperimentResults shuffled = results;
  std::swap(shuffled.trials[6].seed, shuffled.trials[7].seed);
  std::swap(shuffled.trials[6].metrics, shuffled.trials[7].metrics);
  shuffled.all_trials = shuffled.trials;
  REQUIRE(compare_arms(shuffled, "eval_accuracy", "x=0",
                       {MeanInterval::bootstrap, {}, Pairing::by_seed})
              .rows[0]
              .mean_test.p == Approx(row.mean_test.p));
}

TEST_CASE("the rank floor note names Holm's correction only where it is what blocks a row") {
  // Seven arms each wholly above the baseline: alone each reaches p = 2 / C(10, 5) =
  // 0.00794, which Holm's correction over seven takes to 0.0556.
  std::vector<std::pair<Axes, std::vector<double>>> arms{{{{"x", "0"}}, {0.1, 0.2, 0.3, 0.4, 0.5}}};
  for (int i = 1; i <= 7; ++i)
    arms.push_back({{{"x", std::to_string(i)}}, {0.6, 0.7, 0.8, 0.9, 1.0}});
  const ComparisonTable table = compare_arms(results_of(arms), "eval_accuracy", "x=0");
  REQUIRE_THAT(table.notes.front(),
               Contains("the exact rank test cannot reach 0.05 in any row with the seeds it has: "
                        "p >= 0.00794 with 5 against 5 seeds (every row); Holm's correction over "
                        "7 comparisons takes even the lowest of these, 0.00794, to 0.0556"));
}

TEST_CASE("under tune: a validation figure is said to be the one that selected") {
  ExperimentResults results =
      results_of({{{{"x", "0"}}, {0.5, 0.6, 0.7}}, {{{"x", "1"}}, {0.8, 0.9, 0.85}}});
  for (TrialSummary& trial : results.trials) {
    trial.tuned = "0.01";
    trial.metrics = {{"eval_accuracy[validation]", trial.metrics.front().second}};
  }
  results.all_trials = results.trials;
  results.plan.tune = Tuning{"train.lr", {"0.01", "0.1"}, "accuracy", false, {}};
  const auto said = [](const ComparisonTable& table) {
    return std::any_of(table.notes.begin(), table.notes.end(), [](const std::string& note) {
      return note.find("is what selected each arm's train.lr") != std::string::npos;
    });
  };
  REQUIRE(said(compare_arms(results, "eval_accuracy[validation]", "x=0")));
  results.plan.tune->seeds = {100};  // seeds of their own select: the reported ones are fair
  REQUIRE_FALSE(said(compare_arms(results, "eval_accuracy[validation]", "x=0")));
}
