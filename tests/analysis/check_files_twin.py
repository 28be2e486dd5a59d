#!/usr/bin/python3
"""The on-disk contract's two sides agree: analysis/attnlab_files/ declares what
`attnlab layout --json` prints, and on real files of every kind, and on the same
files damaged, `attnlab verify` (C++) and attnlab_files.check_file (Python) give
the same verdict. Readers on both sides leave out an unsealed trial and a trial
file that holds another trial, and refuse a newer schema.

usage: check_files_twin.py ATTNLAB SOURCE_DIR"""
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ATTNLAB, SOURCE = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SOURCE, "analysis"))
import attnlab_files as af  # noqa: E402

PYTHON = "/usr/bin/python3"
if not __debug__:
    sys.exit("check_files_twin.py checks with assert: run it without -O / PYTHONOPTIMIZE")

TINY = """
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: induction, symbols: 8, length: 4}
train: {steps: 6, warmup: 1}
eval: {every: 3, batches: 1, lengths: [3], settings: [{min_repeat: 3}]}
record: {tensors: ['**.weights'], examples: 2}
ablation: {grid: {heads.count: [1, 2]}}
seeds: 2
"""


def attnlab(*arguments, check=True):
    done = subprocess.run([ATTNLAB, *arguments], capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"attnlab {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return done


def declarations_agree():
    layout = json.loads(attnlab("layout", "--json").stdout)
    kinds = {k["name"]: (k["schema_attribute"], k["schema"], k["sealed_from"],
                         k["may_be_other_kind"]) for k in layout["file_kinds"]}
    assert kinds == af.FILE_KINDS, (kinds, af.FILE_KINDS)
    assert layout["paths"] == af.PATHS, (layout["paths"], af.PATHS)
    assert layout["trial_file_paths"] == af.TRIAL_FILE_PATHS, \
        (layout["trial_file_paths"], af.TRIAL_FILE_PATHS)
    seal = layout["seal"]
    assert (seal["attribute"], seal["version_attribute"], seal["version"],
            seal["data_digest_attribute"]) == (af.SEAL_ATTRIBUTE, af.SEAL_VERSION_ATTRIBUTE,
                                               af.SEAL_VERSION, af.DATA_DIGEST_ATTRIBUTE)
    print("the Python declarations equal attnlab layout --json")


def patterns_agree():
    cases = 0
    with open(os.path.join(SOURCE, "tests", "nn", "dotted_patterns.txt")) as table:
        for line in table:
            if line.startswith("#") or not line.strip():
                continue
            pattern, name, expected = line.rstrip("\n").split("\t")
            assert af.matches_dotted_pattern(pattern, name) == (expected == "yes"), line
            cases += 1
    print(f"the Python matcher agrees with the table the C++ one is held to ({cases} cases)")


def figures_agree(run):
    """Every figure a real run wrote (@L and [setting] ones included): the Python reading
    of its name rebuilds it, its curve reads, and results.h5 declares its direction and
    unit and range as its metric does in attnlab layout --json."""
    kinds = json.loads(attnlab("layout", "--json").stdout)["figures"]
    trials, _ = af.OutputDir(run).finished_trials()
    names = trials[0].figures()
    assert any("@" in n for n in names) and any("[" in n for n in names), names
    with af.OutputDir(run).results() as results:
        for name in names:
            metric, length, setting = af.parse_figure(name)
            kind = af.figure_name(metric) if name.startswith("eval_") else name
            if name.startswith("eval_"):
                assert af.figure_name(metric, length, setting) == name, name
                steps, values = trials[0].curve(name)
                assert len(steps) == len(values) > 0, name
            expected = kinds[kind]
            unbounded = {None: math.inf}
            declared = (expected["better"], expected["unit"], expected["low"],
                        unbounded.get(expected["high"], expected["high"]))
            assert tuple(af.figure_meaning(results, name)) == declared, \
                (name, af.figure_meaning(results, name), expected)
    for trial in trials:
        trial.file.close()
    print(f"{len(names)} figure names, their curves and their meanings read the same from "
          "Python")


def verdicts(path):
    """(C++ ok, Python ok, C++ message, Python message) for one file."""
    cpp = attnlab("verify", path, check=False)
    try:
        af.check_path(path)
        python_ok, python_message = True, ""
    except af.FileError as error:
        python_ok, python_message = False, str(error)
    return cpp.returncode == 0, python_ok, cpp.stdout + cpp.stderr, python_message


def agree(path, expected_ok=None, expected_text=None):
    cpp_ok, python_ok, cpp_message, python_message = verdicts(path)
    assert cpp_ok == python_ok, (path, cpp_message, python_message)
    if expected_ok is not None:
        assert cpp_ok == expected_ok, (path, cpp_message, python_message)
    if expected_text is not None:
        assert expected_text in cpp_message and expected_text in python_message, \
            (expected_text, cpp_message, python_message)
    return cpp_ok


def damaged_copy(source, folder, name, change):
    path = os.path.join(folder, name)
    shutil.copyfile(source, path)
    change(path)
    return path


def change_value(path):
    with h5py.File(path, "r+") as f:
        dataset = f["metrics/train/loss"]
        values = dataset[()]
        values[0] += 1.0
        dataset[...] = values  # a valid chunk with a valid checksum: only the digest knows


def change_attribute(path):
    with h5py.File(path, "r+") as f:
        f["final"].attrs["eval_accuracy"] = 1.0


def remove_seal(path):
    with h5py.File(path, "r+") as f:
        del f.attrs[af.SEAL_ATTRIBUTE]


def plant_link(kind):
    def change(path):
        with h5py.File(path, "r+") as f:
            if kind == "external":
                f["metrics/elsewhere"] = h5py.ExternalLink("other.h5", "/metrics/train/loss")
            elif kind == "soft":
                f["metrics/again"] = h5py.SoftLink("/metrics/train/loss")
            else:  # a second hard link to a dataset
                f["metrics/again"] = f["metrics/train/loss"]
    return change


def newer_schema(path):
    with h5py.File(path, "r+") as f:
        f.attrs["attnlab_results_schema"] = 99


def flip_bit(offset):
    def change(path):
        with open(path, "r+b") as f:
            f.seek(offset // 8)
            byte = f.read(1)
            f.seek(offset // 8)
            f.write(bytes([byte[0] ^ (1 << (offset % 8))]))
    return change


def verdicts_agree(run, folder):
    trial_id = af.OutputDir(run).finished_trials()[0][0].id
    trial = af.path_in(run, "trial_file", trial_id)
    checkpoint = os.path.join(folder, "model.h5")
    attnlab("train", "--steps", "3", "--d-model", "8", "--heads", "2", "--layers", "1",
            "--ffn", "16", "--checkpoint", checkpoint)
    for path in [trial, af.path_in(run, "results_h5"), af.path_in(run, "head_metrics_h5"),
                 af.path_in(run, "head_ablation_h5"), checkpoint]:
        agree(path, expected_ok=True)
    agree(damaged_copy(trial, folder, "value.h5", change_value), False,
          "does not hold the values it was written with")
    agree(damaged_copy(trial, folder, "attribute.h5", change_attribute), False,
          "do not match the seal")
    agree(damaged_copy(trial, folder, "unsealed.h5", remove_seal), False, "has no seal")
    agree(damaged_copy(checkpoint, folder, "unsealed_checkpoint.h5", remove_seal), False,
          "has no seal")
    agree(damaged_copy(trial, folder, "newer.h5", newer_schema), False, "newer")
    for kind in ("external", "soft", "hard"):  # a reader would follow it to other data
        agree(damaged_copy(trial, folder, f"{kind}_link.h5", plant_link(kind)), False,
              "do not match the seal")
    rng = random.Random(7)
    bits = os.path.getsize(trial) * 8
    failed = sum(not agree(damaged_copy(trial, folder, f"flip{i}.h5",
                                        flip_bit(rng.randrange(bits))))
                 for i in range(40))
    assert failed > 0, "no random bit flip was detected: the flips or the checks are broken"
    print(f"C++ and Python agree on every file of every kind and on 47 damaged copies "
          f"({failed} of 40 random bit flips refused by both)")


def readers_leave_out(run, folder):
    """An unsealed trial and a trial file holding another trial are left out and named by
    the C++ readers (compare) and the Python ones (eval_curves.py, a plot tool)."""
    broken = os.path.join(folder, "broken")
    shutil.copytree(run, broken)
    trials = af.OutputDir(broken).finished_trials()[0]
    unsealed, swapped, donor = trials[0].id, trials[1].id, trials[2].id
    for trial in trials:
        trial.file.close()
    remove_seal(af.path_in(broken, "trial_file", unsealed))
    shutil.copyfile(af.path_in(broken, "trial_file", donor),
                    af.path_in(broken, "trial_file", swapped))
    compare = attnlab("compare", broken, "--metric", "eval_accuracy", check=False)
    text = compare.stdout + compare.stderr
    curves = subprocess.run([PYTHON, os.path.join(SOURCE, "analysis", "eval_curves.py"), broken],
                            capture_output=True, text=True)
    bars = subprocess.run([PYTHON, os.path.join(SOURCE, "analysis", "plots", "comparison_bars.py"),
                           broken, "--out", os.path.join(folder, "bars.png")],
                          capture_output=True, text=True)
    for reader, output in (("compare", text), ("eval_curves.py", curves.stdout + curves.stderr),
                           ("comparison_bars.py", bars.stdout + bars.stderr)):
        for trial_id in (unsealed, swapped):
            assert trial_id in output, (reader, trial_id, output)
        assert "has no seal" in output, (reader, output)
        assert "copied or renamed" in output, (reader, output)
    rows = [line for line in curves.stdout.splitlines() if not line.startswith(("#", "arm"))]
    assert len(rows) == len(trials) - 2, curves.stdout
    assert bars.returncode == 0, bars.stderr
    print("compare, eval_curves.py and comparison_bars.py leave out and name an unsealed trial "
          "and a trial file holding another trial")


def links_and_fifos_refused(run, folder):
    """A FIFO where a file belongs is refused at once by both sides (it would block an
    open forever); a trial file or the trials/ folder as a symbolic link is named by the
    C++ readers and the Python ones alike, never followed."""
    fifo = os.path.join(folder, "fifo.h5")
    os.mkfifo(fifo)
    agree(fifo, False, "is not a regular file")
    linked = os.path.join(folder, "linked")
    shutil.copytree(run, linked)
    trials = af.OutputDir(linked).finished_trials()[0]
    victim = trials[0].id
    for trial in trials:
        trial.file.close()
    victim_path = af.path_in(linked, "trial_file", victim)
    os.rename(victim_path, os.path.join(folder, "elsewhere.h5"))
    os.symlink(os.path.join(folder, "elsewhere.h5"), victim_path)
    compare = attnlab("compare", linked, check=False)
    curves = subprocess.run([PYTHON, os.path.join(SOURCE, "analysis", "eval_curves.py"), linked],
                            capture_output=True, text=True)
    for reader, output in (("compare", compare.stdout + compare.stderr),
                           ("eval_curves.py", curves.stdout + curves.stderr)):
        assert victim in output and "is a symbolic link" in output, (reader, output)
    trials_folder = af.path_in(linked, "trials")
    os.rename(trials_folder, os.path.join(folder, "trials_elsewhere"))
    os.symlink(os.path.join(folder, "trials_elsewhere"), trials_folder)
    compare = attnlab("compare", linked, check=False)
    curves = subprocess.run([PYTHON, os.path.join(SOURCE, "analysis", "eval_curves.py"), linked],
                            capture_output=True, text=True)
    for reader, done in (("compare", compare), ("eval_curves.py", curves)):
        assert done.returncode != 0 and "trials: is a symbolic link" in done.stderr, \
            (reader, done.stdout, done.stderr)
    print("a FIFO is refused at once by both sides; a linked trial file is left out and named, "
          "a linked trials/ folder refused, by compare and eval_curves.py")


def newer_refused(run, folder):
    newer = os.path.join(folder, "newer")
    shutil.copytree(run, newer)
    newer_schema(af.path_in(newer, "results_h5"))
    for tool in (["analysis", "eval_curves.py"], ["analysis", "plots", "comparison_bars.py"],
                 ["analysis", "cross_attention.py"]):
        extra = ["--expect", "copy"] if tool[-1] == "cross_attention.py" else []
        done = subprocess.run([PYTHON, os.path.join(SOURCE, *tool), newer, *extra],
                              capture_output=True, text=True)
        assert done.returncode != 0 and "newer" in done.stderr and "99" in done.stderr, \
            (tool, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
    report = attnlab("report", newer, check=False)
    assert report.returncode != 0 and "newer" in report.stderr, report.stderr
    edited = os.path.join(folder, "edited")
    shutil.copytree(run, edited)
    with h5py.File(af.path_in(edited, "results_h5"), "r+") as f:
        f.attrs["experiment_yaml"] = "the text shown as the experiment file, changed"
    report = attnlab("report", edited, check=False)
    assert report.returncode != 0 and "do not match the seal" in report.stderr, report.stderr
    print("a results.h5 of a newer schema is refused by the Python tools and the report, "
          "naming the version; one whose texts were edited is refused by the report")


def main():
    declarations_agree()
    patterns_agree()
    with tempfile.TemporaryDirectory() as folder:
        experiment = os.path.join(folder, "tiny.yaml")
        with open(experiment, "w") as f:
            f.write(TINY)
        run = os.path.join(folder, "run")
        attnlab("run", experiment, "-q", "-o", f"output={run}")
        attnlab("analyze", run)
        attnlab("ablate", run)
        figures_agree(run)
        verdicts_agree(run, folder)
        readers_leave_out(run, folder)
        links_and_fifos_refused(run, folder)
        newer_refused(run, folder)


if __name__ == "__main__":
    main()
