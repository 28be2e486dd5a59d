"""attnlab.open and attnlab.compare on the run check_run.py left, checked
against what h5py reads from the same files and what the command line prints:
each trial's configuration is config.json's "config" (attnlab export), its
arm, axes, seed, status and final figures are its file's, its curves are its
datasets (the last value of each evaluation column its final figure), its
recorded activations are its datasets with their dimension names, and
compare's records are `attnlab compare --format json`'s rows. A trial
without a file still has its configuration (from the plan) and refuses what
needs a file. Usage: check_outputs.py ATTNLAB OUTPUT_DIR
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

import attnlab

attnlab_cli, out = sys.argv[1], os.path.abspath(sys.argv[2])
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)


def cli(*arguments):
    return subprocess.run([attnlab_cli, *arguments], check=True, capture_output=True,
                          text=True).stdout


def refused(error_type, expected, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except error_type as error:
        assert expected in str(error), (expected, str(error))
        return error
    raise AssertionError(f"{call} did not raise {error_type.__name__} ({expected})")


def datasets(group, prefix=""):
    found = {}
    for name, item in group.items():
        dotted = f"{prefix}.{name}" if prefix else name
        if isinstance(item, h5py.Group):
            found.update(datasets(item, dotted))
        else:
            found[dotted] = item
    return found


run = attnlab.open(out)
assert run.directory == out and run.name == "tiny_python", run
assert run.arms == ["heads.count=1", "heads.count=2"], run.arms
assert len(run) == 4 and run.trial(2) is run.trials[2]
assert list(run) == run.trials and run[3] is run.trials[3]
try:
    run[4]
    raise AssertionError("run[4] of 4 trials did not raise IndexError")
except IndexError:
    pass
assert run.trial(run.trials[3].id) is run.trials[3]
refused(attnlab.ConfigError, "no trial 'nope'", run.trial, "nope")

for trial in run.trials:
    with h5py.File(trial.file) as f:
        assert trial.status == "finished" and trial.failure is None
        assert (trial.id, trial.arm, trial.seed) == \
            (f.attrs["trial_id"], f.attrs["arm"], f.attrs["seed"])
        assert trial.axes == dict(f["axes"].attrs), (trial.axes, dict(f["axes"].attrs))
        assert trial.final == {k: float(v) for k, v in f["final"].attrs.items()}
        assert trial.config_yaml == f.attrs["config_yaml"]

        # The configuration, typed: config.json's "config" for the same file.
        exported = os.path.join(work, trial.id)
        cli("export", trial.file, "--output", exported)
        with open(os.path.join(exported, "config.json")) as config_json:
            assert trial.config == json.load(config_json)["config"]
        assert trial.config["model"]["d_model"] == 16 and trial.config["heads"]["count"] in (1, 2)

        # Curves: the datasets, one table per kind.
        train = trial.metrics("train")
        assert list(train) == ["step", "grad_norm", "loss", "lr"], list(train)
        for name in ["grad_norm", "loss", "lr"]:
            assert np.array_equal(train[name], f[f"metrics/train/{name}"][()]), name
        assert np.array_equal(train["step"], np.arange(1, 81)) and train["step"].dtype == np.int32
        evaluation = trial.metrics("eval")
        assert np.array_equal(evaluation["step"], [40, 80])
        assert np.array_equal(evaluation["eval_accuracy"], f["metrics/eval/length_5/accuracy"][()])
        assert np.array_equal(evaluation["eval_loss@7"], f["metrics/eval/length_7/loss"][()])
        assert "eval_generation_accuracy" in evaluation
        for name, column in evaluation.items():
            assert len(column) == 2, name
            if name != "step":
                assert np.isclose(column[-1], trial.final[name], rtol=1e-6, equal_nan=True), name

        # Recorded activations, with the dimension names of the file.
        assert trial.activation_steps() == [40, 80]
        recorded = datasets(f["activations/step_000080"])
        assert sorted(trial.activation_names()) == sorted(recorded)
        assert "decoder.layers.0.self_attn.weights" in recorded and "logits" in recorded
        for name, dataset in recorded.items():
            activation = trial.activations(name)
            assert activation.step == 80 and activation.name == name
            assert np.array_equal(activation.array, dataset[()]), name
            assert activation.dims == tuple(dataset.attrs["dims"]), (name, activation.dims)
            array, dims = activation
            assert np.shares_memory(array, activation.array)  # views of one array read once
        early = trial.activations("logits", step=40).array
        assert np.array_equal(early, f["activations/step_000040/logits"][()])
        assert not np.array_equal(early, trial.activations("logits").array)
        weights = trial.activations("decoder.layers.0.self_attn.weights")
        assert weights.dims == ("example", "head", "query", "key") and weights.heads is None
        inputs = trial.recorded_inputs()
        assert sorted(inputs) == sorted(f["activations/inputs"])
        for name, values in inputs.items():
            assert np.array_equal(values, f[f"activations/inputs/{name}"][()])
            assert values.dtype == np.int32

first = run.trials[0]
refused(attnlab.ConfigError, "no activation 'decoder.nope'", first.activations, "decoder.nope")
refused(attnlab.ConfigError, "recorded at steps 40, 80", first.activations, "logits", step=3)
refused(ValueError, "expected 'train'", run.trials[0].metrics, "test")
try:
    import pandas  # noqa: F401 (not a dependency: only when it is installed)
    frame = run.trials[0].metrics("eval", as_frame=True)
    assert list(frame.columns) == list(run.trials[0].metrics("eval"))
except ImportError:
    refused(ImportError, "needs pandas", run.trials[0].metrics, as_frame=True)

# compare(): the rows `attnlab compare --format json` prints, as records.
table = attnlab.compare(out, metric="eval_accuracy", baseline="heads.count=1")
printed = json.loads(cli("compare", out, "--metric", "eval_accuracy", "--baseline",
                         "heads.count=1", "--format", "json"))[0]
assert list(table) == printed["rows"] and table.title == printed["title"]
assert table.notes == printed["notes"] and table.left_out == []
assert [(row["arm"], row["baseline"]) for row in table] == [("heads.count=2", "heads.count=1")]
assert {"mean", "mean_boot_low", "difference", "welch_p_holm", "verdict"} <= set(table[0])
paired = attnlab.compare(run, metric="eval_loss@7", paired=True, interval="t")
assert paired == json.loads(cli("compare", out, "--metric", "eval_loss@7", "--paired",
                                "--interval", "t", "--format", "json"))[0]["rows"]
refused(attnlab.ConfigError, "eval_acuracy", attnlab.compare, out, metric="eval_acuracy")

# A trial without its file: its configuration comes from the plan; what needs the file is refused.
copy = os.path.join(work, "copy")
shutil.copytree(out, copy)
missing = run.trials[1]
os.remove(os.path.join(copy, "trials", f"{missing.id}.h5"))
reopened = attnlab.open(copy)
pending = reopened.trial(missing.id)
assert pending.status == "pending" and pending.file is None and pending.final == {}
assert pending.config == missing.config
refused(attnlab.ConfigError, "is pending", pending.metrics)
refused(attnlab.ConfigError, "is pending", pending.model)
left = attnlab.compare(copy)
assert len(left.left_out) == 1 and missing.id in left.left_out[0], left.left_out
refused(attnlab.ConfigError, "no such output directory", attnlab.open, os.path.join(work, "none"))
print("attnlab.open and attnlab.compare: OK")
