"""attnlab eval, attnlab import and attnlab inspect on real runs. eval rebuilds a trial's model
from its file alone and gives its final figures bit for bit (every length and
eval.settings evaluation); export then import changes no parameter bit, and the
imported checkpoint evaluates to the same figures; a train --checkpoint file
evaluates too. Every refusal names its file and what was wrong, and writes
nothing. inspect reports what h5py finds (parameters with shapes, recorded
activations with dimension names) and refuses damaged files. Usage:
check_eval_import.py ATTNLAB"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

attnlab = sys.argv[1]
work = tempfile.mkdtemp()


def attnlab_ok(*arguments):
    result = subprocess.run([attnlab, *arguments], capture_output=True, text=True)
    assert result.returncode == 0, (arguments, result.returncode, result.stderr)
    return result.stdout


def refused(expected, *arguments):
    """attnlab exits 1 with `expected` (each of them) in its error."""
    result = subprocess.run([attnlab, *arguments], capture_output=True, text=True)
    assert result.returncode == 1, (arguments, result.returncode, result.stdout, result.stderr)
    for part in expected if isinstance(expected, list) else [expected]:
        assert part in result.stderr, (arguments, part, result.stderr)
    return result.stderr


def figures_of(path, *arguments):
    return json.loads(attnlab_ok("eval", path, "--json", *arguments))["figures"]


def parameters_of(path):
    stored = {}
    with h5py.File(path) as f:
        f["parameters"].visititems(
            lambda name, item: stored.__setitem__(name, item[()])
            if isinstance(item, h5py.Dataset) else None)
    return stored


def write_safetensors(path, tensors):
    """A safetensors file written here by hand, float32 tensors in the order given."""
    header, offset = {}, 0
    for name, values in tensors.items():
        size = values.astype("<f4").nbytes
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for values in tensors.values():
            f.write(values.astype("<f4").tobytes())


try:
    experiment = os.path.join(work, "tiny.yaml")
    with open(experiment, "w") as f:
        f.write("model: {architecture: decoder, d_model: 16, layers: 2, ffn: 32}\n"
                "heads: {count: 4}\npositional: {kind: alibi}\n"
                "task: {name: induction, symbols: 6, length: 4}\n"
                "train: {steps: 20, warmup: 2}\n"
                "eval: {every: 0, batches: 2, generation_batches: 1, validation_batches: 1,\n"
                "       lengths: [5], settings: [{min_repeat: 3}]}\n"
                "record: {tensors: [logits, decoder.output], examples: 2}\nseeds: 1\n")
    run = os.path.join(work, "run")
    attnlab_ok("run", experiment, "-q", "-o", f"output={run}")
    trials = os.path.join(run, "trials")
    [trial] = [os.path.join(trials, n) for n in os.listdir(trials) if n.endswith(".h5")]
    with h5py.File(trial) as f:
        final = {k: float(v) for k, v in f["final"].attrs.items() if k.startswith("eval_")}

    # eval: the trial's final figures, bit for bit, every one of them.
    figures = figures_of(trial)
    assert sorted(figures) == sorted(final), (sorted(figures), sorted(final))
    assert "eval_loss@5" in figures and "eval_loss[min_repeat=3]" in figures, figures
    assert "eval_generation_accuracy" in figures, figures
    assert "eval_loss[validation]" in figures, figures
    for name, value in final.items():
        assert figures[name] == value or (np.isnan(value) and figures[name] is None), (name, figures[name], value)
    table = attnlab_ok("eval", trial)
    assert "eval_accuracy@5" in table and "induction (length 4)" in table, table

    # Another length and another setting of the same task; the model is as trained.
    longer = figures_of(trial, "--lengths", "3", "--setting", "min_repeat=4")
    assert "eval_loss@3" in longer and "eval_loss[min_repeat=4]" in longer, longer
    assert "eval_loss@5" not in longer, longer
    assert longer["eval_loss"] == figures["eval_loss"], (longer, figures)
    # Another task of the same vocabulary is evaluated; one of another is refused.
    assert "eval_loss" in figures_of(trial, "--task", "copy", "--task-param", "symbols=6")
    refused(["command line (--lengths 9): eval.lengths", "must be in [min_repeat, symbols - 1]"],
            "eval", trial, "--lengths", "9")
    refused(["command line (-o model.d_model=8)", "'model.d_model' cannot change", "task, eval"],
            "eval", trial, "-o", "model.d_model=8")
    refused([trial, "task 'induction' has 10 tokens", "trained on task 'induction' with 7 tokens"],
            "eval", trial, "--task-param", "symbols=9")
    refused([os.path.join(run, "results.h5"), "holds no trained model"],
            "eval", os.path.join(run, "results.h5"))
    refused("no such file", "eval", os.path.join(work, "absent.h5"))

    # inspect: what h5py finds, and whether it is intact.
    report = json.loads(attnlab_ok("inspect", trial, "--json"))
    assert report["kind"] == "trial" and report["integrity"]["intact"], report["integrity"]
    assert report["trial"]["status"] == "finished" and "d_model: 16" in report["configuration"]
    with h5py.File(trial) as f:
        shapes = {}
        f["parameters"].visititems(lambda name, item: shapes.__setitem__(name.replace("/", "."), list(item.shape))
                                   if isinstance(item, h5py.Dataset) else None)
    assert {p["name"]: p["shape"] for p in report["parameters"]} == shapes
    recorded = {t["name"]: t for t in report["activations"]["tensors_of_last_step"]}
    assert recorded["logits"]["dims"] == ["example", "position", "output"], recorded
    assert recorded["logits"]["shape"][0] == 2 and recorded["decoder.output"]["shape"][-1] == 16, recorded
    text = attnlab_ok("inspect", trial)
    assert "intact" in text and "induction" in text and "logits" in text, text
    damaged = os.path.join(work, "damaged.h5")
    raw = bytearray(open(trial, "rb").read())
    raw[len(raw) // 2] ^= 0xFF
    open(damaged, "wb").write(raw)
    refused(damaged, "inspect", damaged)
    open(damaged, "wb").write(raw[:len(raw) // 3])
    refused(damaged, "inspect", damaged)

    # generate: greedy is the same every time; a seed makes sampling reproducible; a prompt
    # outside the vocabulary, or not ids, is refused by name.
    greedy = json.loads(attnlab_ok("generate", trial, "--prompt", "6 1 2 1", "--max-tokens", "5", "--json"))
    assert len(greedy["generated"]) == 5 and all(0 <= t < 7 for t in greedy["generated"]), greedy
    assert json.loads(attnlab_ok("generate", trial, "--prompt", "6 1 2 1", "--max-tokens", "5",
                                 "--json"))["generated"] == greedy["generated"]
    sampled = [json.loads(attnlab_ok("generate", trial, "--prompt", "6 1 2 1", "--max-tokens", "8",
                                     "--temperature", "5", "--seed", seed, "--json"))["generated"]
               for seed in ("1", "1", "2")]
    assert sampled[0] == sampled[1] and sampled[0] != sampled[2], sampled
    refused(["--prompt: token 7 is outside the model's vocabulary (ids 0 to 6)"],
            "generate", trial, "--prompt", "6 7")
    refused(["--prompt: 'x' is not a token id"], "generate", trial, "--prompt", "6 x")
    refused(["temperature: found -1"], "generate", trial, "--prompt", "6", "--temperature", "-1")

    # export, then import: no parameter bit changes, and the figures stay.
    exported = os.path.join(work, "exported")
    attnlab_ok("export", trial, "--output", exported)
    imported = os.path.join(work, "imported.h5")
    printed = attnlab_ok("import", exported, "--output", imported)
    assert "imported.h5" in printed, printed
    before, after = parameters_of(trial), parameters_of(imported)
    assert sorted(before) == sorted(after), (sorted(before), sorted(after))
    for name in before:
        assert before[name].tobytes() == after[name].tobytes(), name
    assert figures_of(imported) == figures

    # Weights that do not fit: every missing, unexpected and mis-shaped name listed.
    with open(os.path.join(exported, "config.json")) as f:
        config = json.load(f)
    bad = os.path.join(work, "bad")
    os.makedirs(bad)
    shutil.copy(os.path.join(exported, "config.json"), bad)
    tensors = {name.replace("/", "."): values for name, values in before.items()}
    del tensors["decoder.layers.1.ffn.linear1.weight"]
    tensors["decoder.layers.2.ffn.linear1.weight"] = np.zeros((2, 2))
    tensors["decoder.embed.tokens.weight"] = np.zeros((3, 16))
    write_safetensors(os.path.join(bad, "model.safetensors"), tensors)
    out = os.path.join(work, "never.h5")
    refused([os.path.join(bad, "model.safetensors"), "1 parameter(s) missing: 'decoder.layers.1.ffn.linear1.weight'",
             "'decoder.embed.tokens.weight' is [3, 16] there", "does not have: decoder.layers.2.ffn.linear1.weight"],
            "import", bad, "--output", out)
    # A newer interchange version, a configuration with a wrong key, and not JSON.
    for change, expected in [({"format_version": 2}, "newer than this attnlab reads"),
                             ({"config": {**config["config"], "model": {**config["config"]["model"], "d_modle": 8}}},
                              "model.d_modle: unknown key")]:
        with open(os.path.join(bad, "config.json"), "w") as f:
            json.dump({**config, **change}, f)
        refused([os.path.join(bad, "config.json"), expected], "import", bad, "--output", out)
    with open(os.path.join(bad, "config.json"), "w") as f:
        f.write("{\"format\": \"attnlab\",")
    refused([os.path.join(bad, "config.json"), "is not JSON"], "import", bad, "--output", out)
    with open(os.path.join(bad, "config.json"), "w") as f:  # two readers could keep either
        f.write(json.dumps(config)[:-1] + ', "format": "attnlab"}')
    refused([os.path.join(bad, "config.json"), "the key \"format\" twice"], "import", bad, "--output", out)
    with open(os.path.join(bad, "config.json"), "w") as f:
        f.write("[" * 100000 + "]" * 100000)
    refused([os.path.join(bad, "config.json"), "nests deeper"], "import", bad, "--output", out)
    os.remove(os.path.join(bad, "config.json"))
    refused([bad, "has no config.json"], "import", bad, "--output", out)
    refused([os.path.join(bad, "config.json"), "no such file"],
            "import", os.path.join(bad, "model.safetensors"), "--output", out)
    refused("inside the output directory of a run", "import", exported, "--output", os.path.join(run, "m.h5"))
    assert not os.path.exists(out) and not os.path.exists(os.path.join(run, "m.h5"))

    # record.parameters: the parameters of a record.every step evaluate to what training
    # measured at that step, bit for bit; a step without them is refused with those it has.
    stepped = os.path.join(work, "stepped.yaml")
    with open(stepped, "w") as f:
        f.write("model: {d_model: 16, layers: 1, ffn: 32}\ntask: {name: reverse, length: 5}\n"
                "train: {steps: 30, batch: 8, warmup: 2}\neval: {every: 10, batches: 2}\n"
                "record: {every: 10, parameters: true}\nseeds: 1\n")
    attnlab_ok("run", stepped, "-q", "-o", f"output={os.path.join(work, 'stepped')}")
    [snapshotted] = [os.path.join(work, "stepped", "trials", n)
                     for n in os.listdir(os.path.join(work, "stepped", "trials")) if n.endswith(".h5")]
    with h5py.File(snapshotted) as f:
        assert sorted(f["parameter_snapshots"]) == ["step_000010", "step_000020"], list(f["parameter_snapshots"])
        measured = {int(s): {m: float(f[f"metrics/eval/length_5/{m}"][i]) for m in ("loss", "accuracy")}
                    for i, s in enumerate(f["metrics/eval/step"][()])}
    for step in (10, 20, 30):
        at_step = json.loads(attnlab_ok("eval", snapshotted, "--json", "--step", str(step)))
        assert at_step["step"] == step, at_step
        for metric, value in measured[step].items():
            assert at_step["figures"][f"eval_{metric}"] == value, (step, metric, at_step, value)
    assert measured[10]["loss"] != measured[20]["loss"]
    refused([snapshotted, "no parameters of step 15", "steps 10, 20, 30"], "eval", snapshotted, "--step", "15")
    refused("--step 0: expected a step >= 1", "eval", snapshotted, "--step", "0")
    refused("--step -1: expected a step >= 1", "eval", snapshotted, "--step=-1")

    # An export of the other format replaces the first's weights; attnlab never reads a pickle.
    both = os.path.join(work, "both")
    attnlab_ok("export", snapshotted, "--output", both)
    attnlab_ok("export", snapshotted, "--output", both, "--format", "torch")
    assert sorted(os.listdir(both)) == ["config.json", "pytorch_model.bin"], os.listdir(both)
    refused([os.path.join(both, "pytorch_model.bin"), "does not read back"],
            "import", both, "--output", os.path.join(work, "never.h5"))
    refused([os.path.join(both, "pytorch_model.bin"), "does not read back"],
            "train", "--steps", "1", "--d-model", "16", "--layers", "1", "--ffn", "32",
            "--init-from", both)
    attnlab_ok("export", snapshotted, "--output", both)
    assert sorted(os.listdir(both)) == ["config.json", "model.safetensors"], os.listdir(both)
    trained = attnlab_ok("train", "--steps", "1", "--d-model", "16", "--layers", "1", "--ffn",
                         "32", "--task", "reverse", "--task-param", "length=5", "--init-from", both)
    assert "train.init_from: all" in trained, trained

    # A checkpoint of attnlab train stores its configuration; one without it is named as such.
    checkpoint = os.path.join(work, "trained.h5")
    attnlab_ok("train", "--steps", "3", "--d-model", "16", "--heads", "2", "--layers", "1",
               "--ffn", "32", "--checkpoint", checkpoint)
    assert "eval_loss" in figures_of(checkpoint)
    bare = os.path.join(work, "bare.h5")
    with h5py.File(bare, "w") as f:
        f.attrs["kind"] = "checkpoint"
        f.attrs["attnlab_checkpoint_schema"] = np.int64(1)
        f["parameters/lm_head/weight"] = np.zeros((2, 2), dtype="f4")
    refused([bare, "checkpoint without the configuration"], "eval", bare)
    print("eval, import and inspect: figures bit for bit, round trip bit for bit, refusals named")
finally:
    shutil.rmtree(work)
