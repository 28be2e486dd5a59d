"""What the plotting tools share: opening attnlab's HDF5 files with clear
errors, the arms of a run in plan order, token labels, and saving figures.

The tools only read files (results.h5, trials/*.h5, analysis/*.h5); they need
Debian's python3-h5py, python3-numpy and python3-matplotlib."""
import os
import re
import sys

try:
    import h5py
    import matplotlib
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as missing:  # say exactly what to install
    sys.exit(f"{os.path.basename(sys.argv[0])}: {missing.name} is missing; install it with "
             "'apt-get install python3-h5py python3-numpy python3-matplotlib' (as root; "
             "scripts/attnlab-setup.sh does)")

DPI = 100


def fail(message):
    sys.exit(f"{os.path.basename(sys.argv[0])}: {message}")


def open_file(path, kind, produced_by):
    """An attnlab HDF5 file of `kind` ("experiment", "head_metrics", "head_ablation", or
    "trial"), or a clear exit naming the file and what is wrong."""
    if not os.path.exists(path):
        fail(f"{path}: no such file; {produced_by} writes it")
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        fail(f"{path}: not a readable HDF5 file ({error}); it may be truncated or damaged")
    found = f.attrs.get("kind", "trial" if "trial_id" in f.attrs else None)
    if found != kind:
        f.close()
        fail(f"{path}: not an attnlab {kind} file (kind: {found!r}); {produced_by} writes it")
    return f


def results(directory):
    return open_file(os.path.join(directory, "results.h5"), "experiment", "'attnlab run'")


def analysis_file(directory, name, command):
    return open_file(os.path.join(directory, "analysis", f"{name}.h5"), name,
                     f"'attnlab {command} {directory}'")


def arms(results_file):
    return [str(a) for a in results_file["arms"].attrs["labels"]]


def trials_by_arm(results_file):
    """{arm: [trial group, ...]} for every finished trial, through results.h5's links; a
    trial file that cannot be read (truncated, replaced) is named on stderr and left out.
    (These tools do not check the files' seals: the attnlab commands do.)"""
    grouped = {arm: [] for arm in arms(results_file)}
    for tid in results_file["trials"]:
        try:
            trial = results_file["trials"][tid]
            arm = str(trial.attrs["arm"])
        except (KeyError, OSError) as error:
            print(f"{os.path.basename(sys.argv[0])}: left out trial {tid}: its file cannot be "
                  f"read ({error})", file=sys.stderr)
            continue
        grouped.setdefault(arm, []).append(trial)
    return grouped


_MODEL_ORDER = {"encoder": "0", "decoder": "1", "self_attn": "0", "cross_attn": "1"}


def model_order(dotted):
    """Sort key putting modules in model order: encoder before decoder, layer 2 before 10."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, _MODEL_ORDER.get(p, p))
            for p in dotted.split(".")]


def token_labels(ids, task):
    """Axis labels for token ids: characters for char_lm (byte tokens), ids otherwise."""
    if task == "char_lm":  # bytes: a visible space, escapes for the rest
        named = {32: "\u2423", 10: "\\n", 9: "\\t"}
        return [named.get(int(i), chr(i) if 32 < i < 127 else f"\\x{int(i):02x}") for i in ids]
    return [str(i) for i in ids]


def task_of(trial_file):
    """The task's name from the trial's resolved configuration (attnlab's canonical YAML)."""
    match = re.search(r"^task:\n(?:  .*\n)*?  name: (\S+)", trial_file.attrs["config_yaml"], re.M)
    return match.group(1) if match else "?"


def save(figure, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    print(path)
