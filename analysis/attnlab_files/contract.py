"""The contract's declarations, mirrored from the C++ side: file kinds and their
schemas (io/provenance.hpp), the seal's attribute names (io/hdf5_file.hpp), the
output directory's paths (io/output_layout.hpp) and the paths inside a trial
file (io/trial_file_paths.hpp), dotted patterns (nn/dotted_pattern.hpp) and
figure names (run/figures.hpp). tests/analysis/check_files_twin.py holds them
equal to `attnlab layout --json`."""
import collections
import fnmatch
import math
import os
import re
import socket


class FileError(Exception):
    """A file that is missing, of another kind, newer, or damaged; the message names it."""


# -- declared in framework/include/attnlab/io/provenance.hpp -----------------------------
# name: (schema attribute, schema this code reads up to, sealed from, may be another kind)
FILE_KINDS = {
    "trial": ("attnlab_results_schema", 2, 2, False),
    "experiment": ("attnlab_results_schema", 2, 2, False),
    "checkpoint": ("attnlab_checkpoint_schema", 1, 2, True),
    "head_metrics": ("attnlab_analysis_schema", 1, 1, False),
    "head_ablation": ("attnlab_analysis_schema", 1, 1, False),
    "training_state": ("attnlab_training_state_schema", 1, 1, False),
}

# -- declared in framework/include/attnlab/io/hdf5_file.hpp ------------------------------
SEAL_ATTRIBUTE = "attnlab_seal"
SEAL_VERSION_ATTRIBUTE = "attnlab_seal_version"
SEAL_VERSION = 2
DATA_DIGEST_ATTRIBUTE = "attnlab_digest"

# -- declared in framework/include/attnlab/io/output_layout.hpp --------------------------
PATHS = {
    "plan": "plan.yaml",
    "results_h5": "results.h5",
    "results_csv": "results.csv",
    "trials_csv": "trials.csv",
    "results_md": "results.md",
    "results_lock": ".results.lock",
    "trials": "trials",
    "trial_file": "trials/<id>.h5",
    "trial_link_target": "trials/<id>.h5",
    "ticket": "trials/<id>.yaml",
    "log": "trials/<id>.log",
    "failure": "trials/<id>.failed",
    "holder": "trials/<id>.running",
    "resume_point": "trials/<id>.resume",
    "unreadable": "trials/unreadable",
    "superseded": "superseded",
    "slurm": "slurm",
    "slurm_array_script": "slurm/array.sbatch",
    "slurm_merge_script": "slurm/merge.sbatch",
    "slurm_logs": "slurm/logs",
    "slurm_jobs": "slurm/jobs.txt",
    "analysis": "analysis",
    "head_metrics_h5": "analysis/head_metrics.h5",
    "head_metrics_csv": "analysis/head_metrics.csv",
    "head_ablation_h5": "analysis/head_ablation.h5",
    "head_ablation_csv": "analysis/head_ablation.csv",
    "head_pruning_csv": "analysis/head_pruning.csv",
    "patching_csv": "analysis/patching.csv",
    "plots": "analysis/plots",
    "report": "analysis/report.html",
}


# -- declared in framework/include/attnlab/io/trial_file_paths.hpp -----------------------
TRIAL_FILE_PATHS = {
    "axes": "axes",
    "final": "final",
    "parameters": "parameters",
    "train": "metrics/train",
    "train_steps": "metrics/train/step",
    "evaluation": "metrics/eval",
    "evaluation_steps": "metrics/eval/step",
    "training_length": "training_length",
    "evaluation_group": "metrics/eval/length_<L>",
    "setting_group": "metrics/eval/settings/<setting>/length_<L>",
    "inputs": "activations/inputs",
    "snapshot": "activations/step_<NNNNNN>",
    "parameter_snapshot": "parameter_snapshots/step_<NNNNNN>",
}


def evaluation_group(setting, length):
    """One evaluation's group in a trial file (evaluation_group in C++)."""
    template = TRIAL_FILE_PATHS["setting_group" if setting else "evaluation_group"]
    return template.replace("<setting>", setting or "").replace("<L>", str(length))


def snapshot_group(step):
    """A recording step's group in a trial file (snapshot_group in C++)."""
    return TRIAL_FILE_PATHS["snapshot"].replace("<NNNNNN>", f"{step:06d}")


def temporary_path(path):
    """The temporary name this process writes `path` under (temporary_path in C++): the
    next attnlab command removes it if this process dies."""
    return f"{path}.partial-{socket.gethostname()}-{os.getpid()}"


def path_in(directory, name, trial_id=None):
    """The path of `name` (a key of PATHS) in an output directory."""
    relative = PATHS[name]
    if "<id>" in relative:
        if trial_id is None:
            raise ValueError(f"{name} needs a trial id")
        relative = relative.replace("<id>", trial_id)
    return os.path.join(directory, *relative.split("/"))


# -- dotted names: framework/include/attnlab/nn/dotted_pattern.hpp -----------------------
def matches_dotted_pattern(pattern, name):
    """Whether dotted `name` matches `pattern`: within a segment '*', '?' and '[...]' as
    in a shell; a segment '**' matches any number of segments, none included."""
    p, n = pattern.split("."), name.split(".")
    matched = [True] + [False] * len(n)
    for segment in p:
        following = [False] * (len(n) + 1)
        for j in range(len(n) + 1):
            if segment == "**":
                following[j] = matched[j] or (j > 0 and following[j - 1])
            else:
                following[j] = j > 0 and matched[j - 1] and fnmatch.fnmatchcase(n[j - 1], segment)
        matched = following
    return matched[len(n)]


def hdf5_path(group, dotted):
    """Where the tensor of dotted name `dotted` lives under `group` (hdf5_path in C++)."""
    return f"{group}/{dotted.replace('.', '/')}"


# -- figures: framework/include/attnlab/run/figures.hpp -----------------------------------
TRAIN_LOSS_FIGURE = "train_loss"
PARAMETERS_FIGURE = "parameters"

_FIGURE = re.compile(r"^eval_(?P<metric>[^@\[]+)(?:@(?P<length>\d+))?(?:\[(?P<setting>.*)\])?$")


def figure_name(metric, length=None, setting=None):
    """The final figure of an evaluated metric (figure_name in C++)."""
    if setting:
        return f"eval_{metric}[{setting}]"
    return f"eval_{metric}@{length}" if length is not None else f"eval_{metric}"


FigureMeaning = collections.namedtuple("FigureMeaning", "better unit low high")


def figure_meaning(results_file, name):
    """FigureMeaning(better, unit, low, high) of a figure as results.h5 declares it: better
    is 'higher', 'lower' or 'neither'; every value lies in [low, high] (high may be inf).
    Where a file of an older attnlab does not say: ('neither', '', -inf, inf)."""
    group = results_file["arms"].get(name)
    if group is None or "better" not in group.attrs:
        return FigureMeaning("neither", "", -math.inf, math.inf)
    low, high = (float(group.attrs[k]) if k in group.attrs else s * math.inf
                 for k, s in (("low", -1), ("high", 1)))
    return FigureMeaning(text_of(group.attrs["better"]), text_of(group.attrs["unit"]), low, high)


def parse_figure(name):
    """'eval_accuracy@32[k=v]' -> ('accuracy', 32, 'k=v'); a training length or no setting
    gives None; 'train_loss' and 'parameters' give (name, None, None)."""
    if not name.startswith("eval_"):
        return name, None, None
    match = _FIGURE.match(name)
    if not match:
        raise FileError(f"'{name}' is not a figure name (expected eval_<metric>, "
                        "eval_<metric>@<length> or eval_<metric>[<setting>])")
    length = match.group("length")
    return match.group("metric"), int(length) if length else None, match.group("setting")


_FNV_OFFSET, _FNV_PRIME, _MASK = 1469598103934665603, 1099511628211, (1 << 64) - 1


class Fnv1a:
    """64-bit FNV-1a, as the C++ side computes trial ids and the seal."""

    def __init__(self):
        self.value = _FNV_OFFSET

    def add(self, data):
        value = self.value
        for byte in data:
            value = ((value ^ byte) * _FNV_PRIME) & _MASK
        self.value = value

    def add_text(self, text):  # with its NUL, as the C++ side
        self.add(text.encode("utf-8", "surrogateescape") + b"\0")


def config_hash(text):
    """A trial id: the FNV-1a digest of its resolved configuration's text (config_hash in C++)."""
    digest = Fnv1a()
    digest.add(text.encode("utf-8"))
    return f"{digest.value:016x}"




def text_of(value):
    """An attribute's text, whether h5py gives it as str or as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)
