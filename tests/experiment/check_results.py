"""Reads an experiment's output with h5py alone (no attnlab) and checks the
documented layout (docs/hdf5-layout.md): provenance attributes, every trial
reachable from results.h5, metrics over steps, recorded activations with their
dimension names, and attention weights that are distributions over the keys.

usage: check_results.py OUTPUT_DIR EXPECTED_TRIALS
"""
import csv
import sys

import h5py
import numpy as np

output, expected_trials = sys.argv[1], int(sys.argv[2])

with h5py.File(f"{output}/results.h5", "r") as results:
    assert results.attrs["attnlab_results_schema"] == 2
    for key in ("attnlab_version", "git_commit", "experiment_yaml", "experiment_resolved_yaml"):
        assert key in results.attrs, key
    finished = list(results["trials"].keys())
    assert len(finished) == expected_trials, (finished, expected_trials)
    labels = [s.decode() if isinstance(s, bytes) else s for s in results["arms"].attrs["labels"]]
    assert len(labels) == len(results["arms/finished"]), labels

    checked_weights = 0
    for trial_id in finished:
        trial = results["trials"][trial_id]  # an external link into trials/<id>.h5
        assert trial.attrs["status"] == "finished"
        assert trial.attrs["trial_id"] == trial_id
        for key in ("config_yaml", "seed", "arm", "wall_time_seconds", "created", "host",
                    "git_commit", "git_dirty"):
            assert key in trial.attrs, key
        steps = trial["metrics/train/step"][()]
        loss = trial["metrics/train/loss"][()]
        assert steps.shape == loss.shape and steps[0] == 1 and np.all(np.diff(steps) == 1)
        assert np.all(np.isfinite(loss))
        eval_steps = trial["metrics/eval/step"][()]
        for length in trial["metrics/eval"]:
            if length.startswith("length_"):
                accuracy = trial[f"metrics/eval/{length}/accuracy"][()]
                assert accuracy.shape == eval_steps.shape
                assert np.all((0 <= accuracy) & (accuracy <= 1))
        assert "eval_accuracy" in trial["final"].attrs
        assert len(trial["parameters"]) > 0

        if "activations" not in trial:
            continue
        inputs = trial["activations/inputs"]
        examples = inputs["targets"].shape[0]
        for step_name, step in trial["activations"].items():
            if not step_name.startswith("step_"):
                continue

            def visit(name, obj):
                global checked_weights
                if not isinstance(obj, h5py.Dataset):
                    return
                dims = [d.decode() if isinstance(d, bytes) else d for d in obj.attrs["dims"]]
                assert len(dims) == obj.ndim, (name, dims, obj.shape)
                if dims[0] == "example":
                    assert obj.shape[0] == examples, (name, obj.shape)
                    # chunked, checksummed, not compressed (docs/hdf5-layout.md)
                    assert obj.chunks and obj.fletcher32, name
                    assert obj.compression is None and not obj.shuffle, name
                if name.endswith("weights"):
                    assert dims == ["example", "head", "query", "key"], dims
                    weights = obj[()]
                    sums = weights.sum(axis=-1)
                    assert np.allclose(sums, 1.0, atol=1e-5), (name, sums.min(), sums.max())
                    assert np.all(weights >= 0)
                    scores_name = name[: -len("weights")] + "scores"
                    if scores_name in step:  # softmax attention: weights = softmax(scores) over keys
                        scores = step[scores_name][()].astype(np.float64)
                        if name.startswith("decoder") and "self_attn" in name:  # causal mask
                            queries, keys = scores.shape[-2:]
                            future = np.arange(keys)[None, :] > np.arange(queries)[:, None]
                            scores = np.where(future, -np.inf, scores)
                        shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
                        expected = shifted / shifted.sum(axis=-1, keepdims=True)
                        assert np.allclose(weights, expected, atol=1e-5), name
                    checked_weights += 1

            step.visititems(visit)

with open(f"{output}/results.csv") as table:
    rows = list(csv.DictReader(table))
assert [row["arm"] for row in rows] == labels, (rows, labels)
with open(f"{output}/trials.csv") as table:
    assert sum(row["status"] == "finished" for row in csv.DictReader(table)) == expected_trials
print(f"{output}: {len(finished)} trials, {checked_weights} attention-weight datasets checked")
