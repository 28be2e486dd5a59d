#!/usr/bin/python3
"""Real tuned runs (tune: over train.lr) read back without attnlab's own
selection code: from trials.csv, each arm's value with the best mean
validation loss over the selecting seeds is recomputed and must be the value
results.csv, results.h5, results.md and `attnlab compare` report the arm at,
with the test figures of the reported seeds at that value; the edge flag and
the reported trials (results.h5 trials/reported) are recomputed too. Once
with the reported seeds selecting, once with tune.seeds of their own.

usage: check_tuning.py ATTNLAB"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ATTNLAB = sys.argv[1]
EXPERIMENT = """
model: {d_model: 16, layers: 1, ffn: 32}
task: {name: copy, symbols: 4, length: 4}
train: {steps: 30, warmup: 3}
eval: {every: 0, batches: 2}
ablation: {grid: {heads.count: [1, 2]}}
seeds: 2
tune: {train.lr: [0.03, 0.0003, 0.003]%s}
"""
VALUES = ["0.03", "0.0003", "0.003"]


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def expected_selection(trials, only_select):
    """{arm: (value, at the edge, reported trials)}: selected on the tune.seeds
    (only_select), or on every seed without them; reported: the other seeds."""
    expected = {}
    for arm in ("heads.count=1", "heads.count=2"):
        def at(t, value):
            return t["arm"] == arm and t["train.lr"] == value
        def selects(t):
            return not only_select or int(t["seed"]) in only_select
        mean = {v: np.mean([float(t["eval_loss[validation]"]) for t in trials
                            if at(t, v) and selects(t)]) for v in VALUES}
        best = min(VALUES, key=lambda v: mean[v])
        reported = [t for t in trials if at(t, best) and int(t["seed"]) not in only_select]
        edge = float(best) in (min(map(float, VALUES)), max(map(float, VALUES)))
        expected[arm] = (best, edge, reported)
    return expected


def check(folder, extra, only_select):
    path = os.path.join(folder, "tuned.yaml")
    with open(path, "w") as f:
        f.write(EXPERIMENT % extra)
    out = os.path.join(folder, "out" + str(len(extra)))
    done = subprocess.run([ATTNLAB, "run", path, "-q", "-o", f"output={out}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"attnlab run failed:\n{done.stdout}{done.stderr}")
    with open(os.path.join(out, "trials.csv"), newline="") as f:
        trials = list(csv.DictReader(f))
    assert len(trials) == 2 * 3 * (2 + len(only_select)), len(trials)
    expected = expected_selection(trials, only_select)
    with open(os.path.join(out, "results.csv"), newline="") as f:
        for row in csv.DictReader(f):
            best, edge, reported = expected[row["arm"]]
            assert row["tuned_value"] == best, (row["arm"], row["tuned_value"], best)
            assert row["tuned_at_edge"] == ("1" if edge else "0"), row
            assert row["tuned_provisional"] == "0", row
            accuracy = np.mean([float(t["eval_accuracy"]) for t in reported])
            assert np.isclose(float(row["eval_accuracy_mean"]), accuracy, rtol=1e-5), row
            assert row["finished"] == "2", row  # the reported seeds at the selected value only
    with h5py.File(os.path.join(out, "results.h5")) as results:
        tuned = results["arms/tuned"]
        assert text(tuned.attrs["key"]) == "train.lr"
        labels = [text(a) for a in results["arms"].attrs["labels"]]
        selected = [text(v) for v in tuned.attrs["selected"]]
        assert selected == [expected[a][0] for a in labels], (selected, expected)
        assert list(tuned["at_edge"][()]) == [int(expected[a][1]) for a in labels]
        listed = sorted(text(t) for t in results["trials"].attrs["reported"])
        assert listed == sorted(t["id"] for a in labels for t in expected[a][2]), listed
    report = open(os.path.join(out, "results.md")).read()
    for arm, (best, edge, _) in expected.items():
        assert f"| {arm} | 2 | 0 | {best}{' (edge)' if edge else ''} |" in report, (arm, report)
    comparison, = json.loads(subprocess.run(
        [ATTNLAB, "compare", out, "--format", "json"], capture_output=True, text=True,
        check=True).stdout)
    row, = comparison["rows"]
    reported = expected[row["arm"]][2]
    assert np.isclose(row["mean"], np.mean([float(t["eval_accuracy"]) for t in reported]),
                      rtol=1e-5), row
    assert any(f"at its tuned train.lr = {expected[row['arm']][0]}" in n
               for n in comparison["notes"]), comparison["notes"]
    assert row["provisional"] == 0, row
    # A selecting trial gone (not run, as compare sees it): the choice and the verdict are
    # provisional, and say so.
    unselected = next(t for t in trials if t["arm"] == row["arm"]
                      and t["train.lr"] != expected[row["arm"]][0])
    os.rename(os.path.join(out, "trials", unselected["id"] + ".h5"), os.path.join(out, "moved"))
    comparison, = json.loads(subprocess.run(
        [ATTNLAB, "compare", out, "--format", "json"], capture_output=True, text=True,
        check=True).stdout)
    assert comparison["rows"][0]["provisional"] == 1, comparison["rows"][0]
    assert comparison["rows"][0]["verdict"] == row["verdict"], comparison["rows"][0]
    os.rename(os.path.join(out, "moved"), os.path.join(out, "trials", unselected["id"] + ".h5"))
    # --at: every arm at one value (written another way: 3e-3 is 0.003), its reported seeds.
    for value, written in (("0.0003", "3e-4"), ("0.003", "0.003")):
        fixed, = json.loads(subprocess.run(
            [ATTNLAB, "compare", out, "--format", "json", "--at", written],
            capture_output=True, text=True, check=True).stdout)
        row, = fixed["rows"]
        for arm, mean in ((row["arm"], row["mean"]), (row["baseline"], row["baseline_mean"])):
            at_value = [float(t["eval_accuracy"]) for t in trials if t["arm"] == arm
                        and t["train.lr"] == value and int(t["seed"]) not in only_select]
            assert len(at_value) == 2 and np.isclose(mean, np.mean(at_value), rtol=1e-5), row
        assert "provisional" not in row, row
        assert any(f"every arm at train.lr = {value} as asked" in n for n in fixed["notes"]), fixed
    for wrong in ("0.5", "", " 0.003", "0x1.89374bc6a7efap-9"):  # none is a value listed
        refused = subprocess.run([ATTNLAB, "compare", out, "--at", wrong], capture_output=True,
                                 text=True)
        assert refused.returncode != 0 and f"--at: found '{wrong}', expected one of the tuned " \
            "train.lr values [0.03, 0.0003, 0.003]" in refused.stderr, (wrong, refused.stderr)
    # The tuned key is not an axis: a baseline on it points to --at.
    refused = subprocess.run([ATTNLAB, "compare", out, "--baseline", "train.lr=0.003"],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "train.lr is the tuned key (tune:), not an ablation " \
        "axis: --at VALUE" in refused.stderr, refused.stderr
    # The Python readers: the reported curves, or every value's with --every-tuned-value.
    curves = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis",
                          "eval_curves.py")
    for flag, rows in (([], sum(len(r) for _, _, r in expected.values())),
                       (["--every-tuned-value"], len(trials))):
        printed = subprocess.run(["/usr/bin/python3", curves, out] + flag, capture_output=True,
                                 text=True, check=True).stdout.splitlines()
        assert printed[0].startswith("arm\ttrain.lr\tseed\t"), printed[0]
        assert len(printed) == 1 + rows, (flag, len(printed), rows)


with tempfile.TemporaryDirectory() as folder:
    check(folder, "", set())
    check(folder, ", seeds: [7]", {7})
print("tuned runs report each arm at the value its validation loss selects, as recomputed "
      "from trials.csv (selecting on the reported seeds, and on tune.seeds of their own): "
      "results.csv, results.h5, results.md and compare agree")
