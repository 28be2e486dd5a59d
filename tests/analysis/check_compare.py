"""attnlab compare on a real run, recomputed independently.

Runs tests/analysis/two_axes.yaml (heads.count x positional.kind, 3 seeds),
then checks `attnlab compare --format json` against the trial files read
with h5py and the statistics recomputed with SciPy: each arm is paired with
the baseline arm that differs from it in heads.count only, the means,
intervals, Welch and Mann-Whitney p-values and Holm's adjustment agree, and
CSV and markdown carry the same rows; with --paired, each arm's seeds are
matched with the baseline's same seeds and the mean difference, paired t and
Wilcoxon signed-rank p-values agree with ttest_rel and the exact sign-flip
test. Then bad input: every refusal names
what was wrong. Usage: check_compare.py ATTNLAB
"""
import csv
import glob
import itertools
import atexit
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy import stats

attnlab = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)
out = os.path.join(work, "run")
subprocess.run([attnlab, "run", os.path.join(here, "two_axes.yaml"), "-o", f"output={out}",
                "--quiet"], check=True, stdout=subprocess.DEVNULL)


def compare(*extra):
    return subprocess.run([attnlab, "compare", out, *extra], check=True, capture_output=True,
                          text=True).stdout


def close(found, expected, what):
    if found is None or not np.isclose(found, expected, rtol=1e-6, atol=1e-12):
        sys.exit(f"{what}: attnlab {found!r}, recomputed {expected!r}")


# Every finished trial's figure and ablation values, straight from its file.
arms = {}
for path in glob.glob(os.path.join(out, "trials", "*.h5")):
    with h5py.File(path) as trial:
        axes = {k: str(v) for k, v in trial["axes"].attrs.items()}
        arm = arms.setdefault(trial.attrs["arm"], {"axes": axes, "values": [], "by_seed": {}})
        arm["values"].append(float(trial["final"].attrs["eval_accuracy"]))
        arm["by_seed"][int(trial.attrs["seed"])] = arm["values"][-1]
assert len(arms) == 4 and all(len(a["values"]) == 3 for a in arms.values()), arms

def every_resample_interval(x):
    """Hesterberg's expanded percentile over the means of all n^n resamples."""
    n = len(x)
    means = np.array([np.mean(r) for r in itertools.product(x, repeat=n)])
    tail = stats.norm.cdf(np.sqrt(n / (n - 1)) * stats.t.ppf(0.025, n - 1))
    return np.clip(np.percentile(means, [100 * tail, 100 * (1 - tail)]), x.min(), x.max())


report, = json.loads(compare("--baseline", "heads.count=1", "--format", "json"))
t_report, = json.loads(compare("--baseline", "heads.count=1", "--format", "json",
                               "--interval", "t"))
rows = report["rows"]
assert len(rows) == 2, rows
welch_ps, rank_ps = [], []
for row in rows:
    arm, base = arms[row["arm"]], arms[row["baseline"]]
    assert arm["axes"]["heads.count"] == "2" and base["axes"]["heads.count"] == "1", row
    assert arm["axes"]["positional.kind"] == base["axes"]["positional.kind"], row
    a, b = np.array(arm["values"]), np.array(base["values"])
    close(row["mean"], a.mean(), "mean")
    half = stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a))
    t_row, = (r for r in t_report["rows"] if r["arm"] == row["arm"])
    close(t_row["mean_ci_low"], a.mean() - half, "mean interval (--interval t)")
    if a.min() < a.max():
        low, high = every_resample_interval(a)
        close(row["mean_boot_low"], low, "mean interval (bootstrap) low")
        close(row["mean_boot_high"], high, "mean interval (bootstrap) high")
    close(row["difference"], a.mean() - b.mean(), "difference")
    welch = stats.ttest_ind(a, b, equal_var=False)
    close(row["welch_p"], welch.pvalue, "Welch p")
    ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
    if ties:
        rank_p = stats.permutation_test(
            (a, b), lambda x, y, axis=-1: stats.rankdata(np.concatenate([x, y], axis=axis),
                                                         axis=axis)[..., :x.shape[axis]].sum(axis=axis),
            permutation_type="independent", n_resamples=np.inf).pvalue
    else:
        rank_p = stats.mannwhitneyu(a, b, method="exact").pvalue
    close(row["rank_p"], rank_p, "Mann-Whitney p")
    welch_ps.append(welch.pvalue)
    rank_ps.append(rank_p)
for key, ps in (("welch_p_holm", welch_ps), ("rank_p_holm", rank_ps)):
    order = np.argsort(ps)
    expected = [0.0] * len(ps)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        expected[i] = running
    for row, value in zip(rows, expected):
        close(row[key], value, key)
# Each row's own floor is above 0.05, so Holm's correction is not what blocks it: not named.
assert any("the exact rank test cannot reach 0.05 in any row" in note and
           "p >= 0.1 with 3 against 3 seeds (every row); run more" in note and "Holm" not in note
           for note in report["notes"]), report["notes"]

# --paired: seed by seed. Three pairs: the signed-rank test cannot go below 2/8.
paired, = json.loads(compare("--baseline", "heads.count=1", "--format", "json", "--paired"))
for row in paired["rows"]:
    arm, base = arms[row["arm"]]["by_seed"], arms[row["baseline"]]["by_seed"]
    seeds = sorted(arm)
    assert seeds == sorted(base) and row["pairs"] == len(seeds), (row, seeds)
    a, b = np.array([arm[s] for s in seeds]), np.array([base[s] for s in seeds])
    d = a - b
    close(row["paired_difference"], d.mean(), "paired difference")
    if d.std() > 0:
        close(row["paired_t_p"], stats.ttest_rel(a, b).pvalue, "paired t p")
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        close(row["paired_difference_low"], d.mean() - half, "paired interval low")

    def w_plus(x, y):
        nonzero = (x - y)[x != y]
        return stats.rankdata(np.abs(nonzero))[nonzero > 0].sum()

    if np.any(d != 0):
        close(row["signed_rank_p"], stats.permutation_test(
            (a, b), w_plus, permutation_type="samples", vectorized=False,
            n_resamples=np.inf).pvalue, "signed-rank p")
    assert not {"welch_p", "rank_p", "difference", "rank_test"} & set(row), row
    assert row["signed_rank_test"] in ("exact", "-"), row
assert "paired by seed" in paired["title"], paired["title"]
for row in paired["rows"]:  # the signed-rank floor counts the pairs that differ
    arm, base = arms[row["arm"]]["by_seed"], arms[row["baseline"]]["by_seed"]
    differ = sum(arm[s] != base[s] for s in arm)
    if differ:
        expected = f"p >= {min(1.0, 2 / 2 ** differ):.3g} with {differ} pairs of seeds that differ ("
        assert any(expected in note for note in paired["notes"]), (expected, paired["notes"])

table = list(csv.DictReader(io.StringIO(compare("--baseline", "heads.count=1", "--format", "csv"))))
assert [r["arm"] for r in table] == [r["arm"] for r in rows], table
close(float(table[0]["difference_high"]), rows[0]["difference_high"], "CSV interval")
# --solved: the count of seeds at or above it, and the exact binomial interval, as fields.
threshold = float(np.median([v for a in arms.values() for v in a["values"]]))
for row in json.loads(compare("--baseline", "heads.count=1", "--format", "json", "--solved",
                              repr(threshold)))[0]["rows"]:
    for prefix, values in (("", arms[row["arm"]]["values"]),
                           ("baseline_", arms[row["baseline"]]["values"])):
        k, n = sum(v >= threshold for v in values), len(values)
        assert (row[prefix + "solved"], row[prefix + "solved_seeds"]) == (k, n), (row, k, n)
        exact = stats.binomtest(k, n).proportion_ci(method="exact")
        close(row[prefix + "solved_low"], exact.low, "solved share low")
        close(row[prefix + "solved_high"], exact.high, "solved share high")
solved_csv = compare("--baseline", "heads.count=1", "--format", "csv", "--solved", "0.5")
assert solved_csv.splitlines()[0].startswith(
    "arm,seeds,mean,mean_boot_low,mean_boot_high,solved,solved_seeds,solved_low,solved_high,"), \
    solved_csv
markdown = compare("--baseline", "heads.count=1", "--format", "md")
assert markdown.count("| heads.count=2") == 2, markdown

# One arm named as the baseline: every other arm against it.
named, = json.loads(compare("--baseline", "heads.count=1, positional.kind=none", "--format", "json"))
assert len(named["rows"]) == 3, named

_, lengths = json.loads(compare("--by-length", "--format", "json"))
assert [k for k in lengths["rows"][0] if k.startswith("length_") and "_" not in k[7:]] == \
    ["length_5", "length_7"], lengths["rows"][0]
_, steps = json.loads(compare("--reach", "0.0", "--format", "json"))
assert all(r["reached"] == 3 and r["steps"] == 20 for r in steps["rows"]), steps


def refused(expected, *arguments):
    result = subprocess.run([attnlab, "compare", *arguments], capture_output=True, text=True)
    if result.returncode in (0,) or result.returncode > 128 or expected not in result.stderr:
        sys.exit(f"compare {arguments}: expected a refusal with '{expected}', got "
                 f"{result.returncode}: {result.stderr}")


refused("no such output directory", os.path.join(work, "missing"))
refused("no plan.yaml there", work)
refused("--metric eval_acuracy: no finished trial", out, "--metric", "eval_acuracy")
refused("no finished arm has heads.count = 3; it takes: 1, 2", out, "--baseline", "heads.count=3")
refused("no arm varies 'model.d_model'", out, "--baseline", "model.d_model=8")
refused("neither an arm's label nor KEY=VALUE", out, "--baseline", "nonsense")
refused("--format: 'xml' is not one of table | md | csv | json | html", out, "--format", "xml")
refused("--format csv holds one table", out, "--format", "csv", "--by-length")
refused("has no tune: block", out, "--at", "0.003")
# A truncated trial file is not a result: compare leaves it out and says so.
def baseline_trial(path):
    with h5py.File(path, "r") as f:
        return f["axes"].attrs["heads.count"] == "1"


# One of an arm that is not the baseline (whichever comes first by id).
victim = [p for p in sorted(glob.glob(os.path.join(out, "trials", "*.h5"))) if not baseline_trial(p)][0]
with open(victim, "r+b") as f:
    f.truncate(os.path.getsize(victim) // 2)
damaged, = json.loads(compare("--baseline", "heads.count=1", "--format", "json"))
assert any("2 of 3 seeds counted" in note for note in damaged["notes"]), damaged["notes"]
assert sum(r["seeds"].count("2/3") for r in damaged["rows"]) == 1, damaged["rows"]
damaged_pairs, = json.loads(compare("--baseline", "heads.count=1", "--format", "json", "--paired"))
assert sorted(r["pairs"] for r in damaged_pairs["rows"]) == [2, 3], damaged_pairs["rows"]
assert any("on the 2 seed(s) both have" in note for note in damaged_pairs["notes"]), \
    damaged_pairs["notes"]

with open(os.path.join(out, "plan.yaml"), "a") as plan:
    plan.write("  - {index: 12, id: abc, arm: extra, seed: 0}\n")
refused("do not match its fingerprint", out)
print("compare agrees with h5py + SciPy on", len(rows), "pairs; CSV, markdown, lengths, steps, refusals checked")
