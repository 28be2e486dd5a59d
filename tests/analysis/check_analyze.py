"""attnlab analyze on real runs, recomputed independently.

Runs tests/analysis/recorded_heads.yaml (two attention-only layers on the
induction task, every head's weights recorded), then:
- `analyze --on-recorded`: every head's metrics in analysis/head_metrics.h5
  equal those recomputed here with NumPy, from the definitions in
  docs/analysis.md, on the trial's recorded final weights and tokens;
- `analyze` (the default analysis examples): the layout of head_metrics.h5
  and head_metrics.csv;
- permutation sensitivity: 0 (to rounding) for encoders without positions,
  clearly not for encoders with them;
- activation patching: patching the last layer's output or the token
  embeddings restores the clean loss exactly (both corruptions), a head sweep
  gives a row per layer;
- bad input: a truncated trial file is left out and counted, a trial file
  missing a parameter is refused naming the file and the parameter, a run
  that recorded nothing is refused with --on-recorded, a folder without a
  plan is refused. Usage: check_analyze.py ATTNLAB
"""
import atexit
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

attnlab = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)
out = os.path.join(work, "run")
subprocess.run([attnlab, "run", os.path.join(here, "recorded_heads.yaml"), "-o", f"output={out}",
                "--quiet"], check=True, stdout=subprocess.DEVNULL)


def analyze(*extra, directory=out):
    return subprocess.run([attnlab, "analyze", directory, *extra], check=True,
                          capture_output=True, text=True).stdout


def metrics_of(weights, tokens):
    """The head metrics of docs/analysis.md for causal self-attention [example, head, q, k]."""
    examples, heads, length, _ = weights.shape
    result = []
    for h in range(heads):
        sums = {k: [] for k in ("entropy", "normalised_entropy", "mean_distance", "diagonal",
                                "previous", "first", "previous_token_score",
                                "duplicate_token_score", "induction_score")}
        for b in range(examples):
            for i in range(length):
                row = weights[b, h, i, : i + 1].astype(np.float64)
                p = row / row.sum()
                entropy = -np.sum(p[p > 0] * np.log(p[p > 0]))
                sums["entropy"].append(entropy)
                if i >= 1:
                    sums["normalised_entropy"].append(entropy / np.log(i + 1))
                    sums["previous_token_score"].append(row[i - 1])
                sums["mean_distance"].append(np.sum(p * np.abs(i - np.arange(i + 1))))
                sums["diagonal"].append(row[i])
                sums["previous"].append(row[i - 1] if i >= 1 else 0.0)
                sums["first"].append(row[0])
                t = tokens[b]
                same = [j for j in range(i + 1) if j != i and t[j] == t[i]]
                if same:
                    sums["duplicate_token_score"].append(row[same].sum())
                after = [j for j in range(1, i + 1) if j - 1 < i - 1 and t[j - 1] == t[i]]
                if after:
                    sums["induction_score"].append(row[after].sum())
        result.append({k: (np.mean(v) if v else np.nan) for k, v in sums.items()})
    return result


analyze("--on-recorded")
checked = 0
with h5py.File(os.path.join(out, "analysis", "head_metrics.h5")) as analysis:
    assert analysis.attrs["kind"] == "head_metrics"
    for path in glob.glob(os.path.join(out, "trials", "*.h5")):
        with h5py.File(path) as trial:
            tid = trial.attrs["trial_id"]
            group = analysis["trials"][tid]
            assert group.attrs["examples_from"] == "recorded" and group.attrs["examples"] == 6
            last = sorted(k for k in trial["activations"] if k.startswith("step_"))[-1]
            tokens = trial["activations/inputs/target_input"][()]
            for layer in (0, 1):
                weights = trial[f"activations/{last}/decoder/layers/{layer}/self_attn/weights"][()]
                module = group[f"decoder/layers/{layer}/self_attn"]
                for h, expected in enumerate(metrics_of(weights, tokens)):
                    for name, value in expected.items():
                        found = module[name][h]
                        if np.isnan(value) != np.isnan(found) or (
                                not np.isnan(value) and abs(found - value) > 2e-5 * max(1, abs(value))):
                            sys.exit(f"{tid} layer {layer} head {h} {name}: attnlab {found}, "
                                     f"recomputed {value}")
                        checked += 1
                if weights.shape[1] == 2:  # diversity: JS in bits of the two heads' rows
                    js = []
                    for b in range(weights.shape[0]):
                        for i in range(weights.shape[2]):
                            p, q = weights[b, 0, i, : i + 1], weights[b, 1, i, : i + 1]
                            p, q = p / p.sum(), q / q.sum()
                            m = (p + q) / 2
                            js.append(0.5 * np.sum(p[p > 0] * np.log2(p[p > 0] / m[p > 0])) +
                                      0.5 * np.sum(q[q > 0] * np.log2(q[q > 0] / m[q > 0])))
                    assert abs(module.attrs["diversity"] - np.mean(js)) < 2e-5, (
                        module.attrs["diversity"], np.mean(js))
                else:
                    assert np.isnan(module.attrs["diversity"])
assert checked == (2 * 1 + 2 * 2) * 2 * 9, checked  # (seeds x heads per arm) x layers x metrics

summary = analyze()
assert "heads.count=2" in summary and "decoder.layers.1.self_attn" in summary, summary
with h5py.File(os.path.join(out, "analysis", "head_metrics.h5")) as analysis:
    for group in analysis["trials"].values():
        assert group.attrs["examples_from"] == "analysis" and group.attrs["examples"] == 64
rows = list(csv.DictReader(open(os.path.join(out, "analysis", "head_metrics.csv"))))
assert len(rows) == 2 * 2 * 1 + 2 * 2 * 2, len(rows)  # seeds x layers x heads, per arm
assert {r["module"] for r in rows} == {"decoder.layers.0.self_attn", "decoder.layers.1.self_attn"}
assert all(0 <= float(r["induction_score"]) <= 1 for r in rows)

# Head ablation: nothing removed is the trial's own final evaluation; the pruning
# curve starts there and removes every head once; importances are normalised per module.
ablation = subprocess.run([attnlab, "ablate", out], check=True, capture_output=True,
                          text=True).stdout
heads = list(csv.DictReader(open(os.path.join(out, "analysis", "head_ablation.csv"))))
pruning = list(csv.DictReader(open(os.path.join(out, "analysis", "head_pruning.csv"))))
for path in glob.glob(os.path.join(out, "trials", "*.h5")):
    with h5py.File(path) as trial:
        tid, final = trial.attrs["trial_id"], float(trial["final"].attrs["eval_accuracy"])
    mine = [r for r in heads if r["trial"] == tid]
    assert mine and all(abs(float(r["accuracy"]) - final) < 1e-6 for r in mine), (tid, final)
    for module in {r["module"] for r in mine}:
        norm = sum(float(r["normalised_importance"]) ** 2 for r in mine if r["module"] == module)
        assert abs(norm - 1) < 1e-6 or norm == 0, (tid, module, norm)
    steps = [r for r in pruning if r["trial"] == tid]
    assert [int(r["removed"]) for r in steps] == list(range(len(mine) + 1)), steps
    assert abs(float(steps[0]["accuracy"]) - final) < 1e-6
    assert sorted((r["module"], r["head"]) for r in steps[1:]) == \
        sorted((r["module"], r["head"]) for r in mine)
assert "heads.count=2" in ablation, ablation

# Activation patching: the whole residual stream after the last layer, or the token
# embeddings under the same positions, carry everything: patching either restores
# the clean loss exactly; one head restores a share.
for activation in ("decoder.layers.1.output", "decoder.embed.token_embedding"):
    for corruption in ("shuffle", "resample"):
        subprocess.run([attnlab, "patch", out, "--activation", activation, "--corrupt", corruption],
                       check=True, capture_output=True)
        rows = list(csv.DictReader(open(os.path.join(out, "analysis", "patching.csv"))))
        assert len(rows) == 4 and all(abs(float(r["restored"]) - 1) < 1e-5 for r in rows), rows
        assert all(r["patched_accuracy"] == r["clean_accuracy"] for r in rows), rows
swept = subprocess.run([attnlab, "patch", out, "--activation", "decoder.layers.*.self_attn.head_outputs",
                        "--head", "0", "--format", "json"], check=True, capture_output=True, text=True)
rows = list(csv.DictReader(open(os.path.join(out, "analysis", "patching.csv"))))
assert len(rows) == 4 * 2 and {r["head"] for r in rows} == {"0"}, rows  # trials x layers
assert all(0 <= float(r["patched_accuracy"]) <= 1 for r in rows)
assert json.loads(swept.stdout)["rows"], swept.stdout
# One key/value head of two: the one-head trials have no head 1 and are left out, named.
keys = subprocess.run([attnlab, "patch", out, "--activation", "decoder.layers.0.self_attn.k",
                       "--head", "1"], check=True, capture_output=True, text=True)
rows = list(csv.DictReader(open(os.path.join(out, "analysis", "patching.csv"))))
assert len(rows) == 2 and {r["arm"] for r in rows} == {"heads.count=2"}, rows
assert keys.stderr.count("has 1 kv_heads") == 2, keys.stderr


def refused(expected, *arguments, command="analyze"):
    result = subprocess.run([attnlab, command, *arguments], capture_output=True, text=True)
    if result.returncode == 0 or result.returncode > 128 or expected not in result.stderr:
        sys.exit(f"{command} {arguments}: expected a refusal with '{expected}', got "
                 f"{result.returncode}: {result.stderr}")


refused("no plan.yaml there", work)
refused("decoder.layers.0.output has no head axis", "--head", "0", "--activation",
        "decoder.layers.0.output", out, command="patch")
refused("nothing patched in any trial: it has no activation decoder.layers.9.output; it has: "
        "decoder.embed.token_embedding", out,
        "--activation", "decoder.layers.9.output", command="patch")
refused("--corrupt: 'noise' is not one of shuffle | resample", out, "--activation", "x",
        "--corrupt", "noise", command="patch")
refused("--examples 0: expected 1 to 4096", out, "--examples", "0")
trials = sorted(glob.glob(os.path.join(out, "trials", "*.h5")))
with open(trials[0], "r+b") as f:  # truncated: not a result, left out, said why
    f.truncate(os.path.getsize(trials[0]) // 2)
with h5py.File(trials[1], "r+") as f:  # a parameter deleted: the file no longer matches its seal
    del f["parameters/decoder/layers/1/self_attn/q_proj/weight"]
with h5py.File(trials[2]) as f:  # a parameter's bytes flipped: only its checksum can tell
    offset = f["parameters/decoder/layers/0/self_attn/q_proj/weight"].id.get_chunk_info(0).byte_offset
with open(trials[2], "r+b") as f:
    f.seek(offset + 8)
    data = bytearray(f.read(16))
    f.seek(offset + 8)
    f.write(bytes(b ^ 0xFF for b in data))
result = subprocess.run([attnlab, "analyze", out], capture_output=True, text=True, check=True)
assert "(3 left out: see above)" in result.stdout, result.stdout
assert "checksum" in result.stderr or "Fletcher" in result.stderr or trials[2] in result.stderr, result.stderr
for path in trials[:3]:
    assert f"left out trial {os.path.basename(path)[:-3]}" in result.stderr, result.stderr
    assert path in result.stderr, result.stderr
assert "seal" in result.stderr, result.stderr
plain = os.path.join(work, "plain")
subprocess.run([attnlab, "run", os.path.join(here, "two_axes.yaml"), "-o", f"output={plain}",
                "-o", "seeds=1", "-o", "model.architecture=encoder", "--quiet"], check=True,
               stdout=subprocess.DEVNULL)
refused("recorded no activations", plain, "--on-recorded")
# The note's claim as a number: an encoder without positions is blind to order, one with
# sinusoidal positions is not.
heads_table, order = json.loads(analyze("--format", "json", directory=plain))
sensitivity = {row["arm"]: row["sensitivity"] for row in order["rows"]}
for arm, value in sensitivity.items():
    assert (value < 1e-5) if "none" in arm else (value > 0.05), sensitivity
# Each mean names its interval in its fields: the bootstrap by default, t on request.
assert all("sensitivity_boot_low" in row and "sensitivity_ci_low" not in row
           for row in order["rows"]), order["rows"]
assert "expanded percentile bootstrap" in order["title"], order["title"]
_, t_order = json.loads(analyze("--format", "json", "--interval", "t", directory=plain))
assert all("sensitivity_ci_high" in row for row in t_order["rows"]), t_order["rows"]
assert "Student t" in t_order["title"], t_order["title"]
print(f"analyze: {checked} head figures agree with NumPy on the recorded weights; layout, CSV "
      "and refusals checked")
