"""attnlab's on-disk contract, read from Python: the twin of the C++ module
that writes it (framework/include/attnlab/io/: output_layout.hpp,
provenance.hpp, hdf5_file.hpp, and nn/dotted_pattern.hpp).

Every Python tool of attnlab reads output directories through this module and
nothing else, so each checks what the C++ readers check: a file's kind, its
schema version (a newer one is refused), its seal over every attribute and,
dataset by dataset as they are read, the digest of the values it was written
with. tests/analysis/check_files_twin.py keeps the declarations below equal to
`attnlab layout --json` and both sides' verdicts equal on real and damaged files.

    import attnlab_files as af
    run = af.OutputDir("out/induction")
    trials, left_out = run.finished_trials()
    for trial in trials:
        trial.figures()["eval_accuracy"], trial.curve("eval_loss")
        values, dims = trial.activation("decoder.layers.0.self_attn.weights")

Needs Debian's python3-h5py and python3-numpy (/usr/bin/python3)."""
import ctypes
import fnmatch
import os
import re
import select
import signal
import socket

import h5py
import numpy as np


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
    "unreadable": "trials/unreadable",
    "superseded": "superseded",
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


# -- the seal: framework/src/io/hdf5_integrity.cpp and data_digest.cpp -------------------
_FNV_OFFSET, _FNV_PRIME, _MASK = 1469598103934665603, 1099511628211, (1 << 64) - 1


class _Fnv1a:
    def __init__(self):
        self.value = _FNV_OFFSET

    def add(self, data):
        value = self.value
        for byte in data:
            value = ((value ^ byte) * _FNV_PRIME) & _MASK
        self.value = value

    def add_text(self, text):  # with its NUL, as the C++ side
        self.add(text.encode("utf-8", "surrogateescape") + b"\0")


def _attribute_bytes(attribute_id, obj, name, digest):
    """Adds one attribute as the C++ side does: its type class, then its values."""
    file_type = attribute_id.get_type()
    type_class = file_type.get_class()
    digest.add(int(type_class).to_bytes(4, "little"))
    if attribute_id.get_space().get_simple_extent_npoints() == 0:
        return  # nothing to read, as the C++ side
    if type_class == h5py.h5t.STRING and file_type.is_variable_str():
        value = obj.attrs[name]
        texts = [value] if isinstance(value, (str, bytes)) else list(np.ravel(value))
        for text in texts:
            digest.add((text if isinstance(text, bytes) else str(text).encode("utf-8"))
                       + b"\0")
        return
    values = np.empty(attribute_id.shape, dtype=attribute_id.dtype)
    attribute_id.read(values, mtype=file_type)
    digest.add(values.tobytes())


def _objects(h5file):
    """Every group and dataset reachable by hard links: the root first, then sorted."""
    names = []
    h5file.visit(names.append)
    return ["/"] + sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))


def _links(h5file):
    """Every link by path, sorted: (path, type, target), as the C++ side lists them."""
    found = []

    def visit(name, info):
        target = b""
        if info.type == h5py.h5l.TYPE_SOFT:
            target = h5file.id.links.get_val(name)
        elif info.type == h5py.h5l.TYPE_EXTERNAL:
            file_name, object_name = h5file.id.links.get_val(name)
            target = file_name + b"\0" + object_name
        found.append((name, info.type, target))
    h5file.id.links.visit(visit, info=True)
    return sorted(found)


def attributes_digest(h5file):
    """The digest the seal holds: from seal version 2 every link (path, type, target),
    then every attribute of every object but the seal (16 hex)."""
    digest = _Fnv1a()
    if int(h5file.attrs.get(SEAL_VERSION_ATTRIBUTE, 1)) >= 2:
        for name, link_type, target in _links(h5file):
            digest.add(name + b"\0")
            digest.add(int(link_type).to_bytes(4, "little", signed=True))
            digest.add(target + b"\0")
    for path in _objects(h5file):
        obj = h5file[path]
        digest.add_text(path)
        names = sorted(obj.attrs.keys(), key=lambda n: n.encode("utf-8", "surrogateescape"))
        for name in names:
            if path == "/" and name == SEAL_ATTRIBUTE:
                continue
            digest.add_text(name)
            attribute_id = h5py.h5a.open(obj.id, name.encode("utf-8"))
            _attribute_bytes(attribute_id, obj, name, digest)
    return f"{digest.value:016x}"


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def data_digest(values):
    """The digest of an array's values as stored (little-endian elements of 1 to 8
    bytes, row-major): the sum modulo 2^64 of mix(word + index * golden)."""
    flat = np.ascontiguousarray(values).reshape(-1)
    size = flat.dtype.itemsize
    if not 1 <= size <= 8:
        raise ValueError(f"elements of {size} bytes have no digest")
    flat = flat.astype(flat.dtype.newbyteorder("<"), copy=False)
    raw = flat.view(np.uint8).reshape(-1, size)
    total = np.uint64(0)
    block = 1 << 20
    with np.errstate(over="ignore"):
        for first in range(0, raw.shape[0], block):
            chunk = raw[first:first + block]
            words = np.zeros(chunk.shape[0], dtype=np.uint64)
            for byte in range(size):
                words |= chunk[:, byte].astype(np.uint64) << np.uint64(8 * byte)
            index = np.arange(first, first + chunk.shape[0], dtype=np.uint64)
            total = total + np.sum(_mix(words + index * _GOLDEN), dtype=np.uint64)
    return f"{int(total):016x}"


def _digest_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_dataset(dataset):
    """A dataset's values, checked against the digest it was sealed with (if any)."""
    values = dataset[()]
    if DATA_DIGEST_ATTRIBUTE in dataset.attrs:
        stored = _digest_text(dataset.attrs[DATA_DIGEST_ATTRIBUTE])
        if data_digest(np.asarray(values)) != stored:
            raise FileError(f"{dataset.file.filename}: damaged: dataset '{dataset.name}' does "
                            "not hold the values it was written with (its digest differs)")
    return values


def verify(h5file, datasets=False):
    """Raises FileError naming the damage unless the seal matches every attribute and,
    with `datasets`, every dataset its digest (as Hdf5File::verify)."""
    path = h5file.filename
    if SEAL_ATTRIBUTE not in h5file.attrs:
        raise FileError(f"{path}: has no seal ({SEAL_ATTRIBUTE}): it was not closed by attnlab")
    try:
        found = attributes_digest(h5file)
    except _DAMAGE as error:
        raise FileError(f"{path}: damaged: its attributes cannot be read ({error})") from error
    if found != _digest_text(h5file.attrs[SEAL_ATTRIBUTE]):
        raise FileError(f"{path}: damaged: its attributes do not match the seal written when "
                        "it was closed")
    digests = int(h5file.attrs.get(SEAL_VERSION_ATTRIBUTE, 1)) >= 2
    for name in _objects(h5file)[1:]:
        dataset = h5file[name]
        if not isinstance(dataset, h5py.Dataset):
            continue
        if digests and DATA_DIGEST_ATTRIBUTE not in dataset.attrs:
            raise FileError(f"{path}: damaged: dataset '{name}' has no digest "
                            f"({DATA_DIGEST_ATTRIBUTE})")
        if datasets:
            try:
                read_dataset(dataset)
            except OSError as error:
                raise FileError(f"{path}: damaged: dataset '{name}' fails its checksum "
                                f"({error})") from error


def file_kind_of(h5file):
    """The kind of an attnlab file (as file_kind_of in C++)."""
    if "kind" in h5file.attrs:
        found = _digest_text(h5file.attrs["kind"])
        if found not in FILE_KINDS:
            raise FileError(f"{h5file.filename}: of kind '{found}', which this attnlab does "
                            "not know")
        return found
    if FILE_KINDS["trial"][0] in h5file.attrs:
        return "trial"
    if FILE_KINDS["checkpoint"][0] in h5file.attrs:
        return "checkpoint"
    raise FileError(f"{h5file.filename}: not a file attnlab wrote (no 'kind' and no schema "
                    "attribute)")


# What h5py raises on a file damaged below what HDF5 checks for us.
_DAMAGE = (OSError, KeyError, RuntimeError, UnicodeError, ValueError, TypeError)


def check_file(h5file, kind, datasets=False):
    """The check every reader makes (check_file in C++): the file is of `kind`, its
    schema is not newer than this code reads, and its seal holds. Returns the schema."""
    try:
        return _check_file(h5file, kind, datasets)
    except _DAMAGE as error:
        raise FileError(f"{h5file.filename}: damaged: {error}") from error


def _check_file(h5file, kind, datasets):
    path = h5file.filename
    attribute, newest, sealed_from, may_be_other_kind = FILE_KINDS[kind]
    family = attribute[len("attnlab_"):-len("_schema")]
    if attribute not in h5file.attrs:
        raise FileError(f"{path}: not an attnlab {kind} file (it has no '{attribute}' "
                        "attribute)")
    if not may_be_other_kind and "kind" in h5file.attrs:
        found = _digest_text(h5file.attrs["kind"])
        if found != kind:
            raise FileError(f"{path}: is an attnlab {found} file, where a {kind} file was "
                            "expected")
    schema = int(h5file.attrs[attribute])
    if schema > newest:
        raise FileError(f"{path}: written with {family} schema {schema}, but this code reads "
                        f"up to {newest}: the file is newer; use the analysis tools of a newer "
                        "attnlab")
    if schema < 1:
        raise FileError(f"{path}: {family} schema {schema} is not one")
    # A file that says how it was sealed must be sealed: a seal removed is damage.
    if schema >= sealed_from or SEAL_ATTRIBUTE in h5file.attrs or \
            SEAL_VERSION_ATTRIBUTE in h5file.attrs:
        verify(h5file, datasets)
    return schema


def _first_line(error):
    """h5py's messages can carry HDF5's whole error dump: the first line says it."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _die_with(parent):
    """In a forked child: be killed when the parent dies (Linux's PR_SET_PDEATHSIG), so
    that a reader stopped from outside leaves no child behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def check_path(path, kind=None):
    """Checks the file at `path` as check_file does, its datasets' values included, in a
    child process: HDF5 can crash on a damaged file, and the reader must not. Returns
    (kind, schema); raises FileError naming the damage, or the crash."""
    if not os.path.exists(path):
        raise FileError(f"{path}: no such file")
    if not os.path.isfile(path):  # a FIFO would block the open forever
        raise FileError(f"{path}: is not a regular file, so not an HDF5 file attnlab wrote")
    read_end, write_end = os.pipe()
    parent = os.getpid()
    child = os.fork()
    if child == 0:  # the child: check, report on the pipe, exit without cleaning up
        _die_with(parent)
        os.close(read_end)
        status, report = 0, ""
        try:
            with h5py.File(path, "r") as h5file:
                found = kind or file_kind_of(h5file)
                report = f"{found}\n{check_file(h5file, found, datasets=True)}"
        except FileError as error:
            status, report = 1, str(error)
        except OSError as error:
            status, report = 1, (f"{path}: not a readable HDF5 file ({_first_line(error)}); it "
                                 "may be truncated or damaged")
        except BaseException as error:  # noqa: B902  anything else is damage to report
            status, report = 1, f"{path}: damaged: {error}"
        os.write(write_end, report.encode("utf-8", "replace"))
        os._exit(status)
    os.close(write_end)
    # A file HDF5 spins on is a verdict too: 30 s and 1 s per 10 MiB, as the C++ reader.
    limit = 30 + os.path.getsize(path) / (10 << 20)
    with os.fdopen(read_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], limit)
        if not ready:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            raise FileError(f"{path}: damaged: reading it did not end within {limit:.0f} s")
        report = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        raise FileError(f"{path}: damaged: reading it crashed the reader (signal "
                        f"{os.WTERMSIG(status)})")
    if os.WEXITSTATUS(status) != 0:
        raise FileError(report)
    found, schema = report.split("\n")
    return found, int(schema)


def open_checked(path, kind, datasets=True):
    """An open h5py.File of `kind` whose every check passed (check_path: in a child
    process, values included, unless `datasets` is False), or FileError naming what is
    wrong. A symbolic link is refused: attnlab never writes one."""
    if os.path.islink(path):
        raise FileError(f"{path}: is a symbolic link; attnlab never writes one there")
    if datasets:
        check_path(path, kind)
    elif not os.path.exists(path):
        raise FileError(f"{path}: no such file")
    try:
        h5file = h5py.File(path, "r")
    except OSError as error:
        raise FileError(f"{path}: not a readable HDF5 file ({_first_line(error)}); it may be "
                        "truncated or damaged") from error
    try:
        check_file(h5file, kind)
    except BaseException:
        h5file.close()
        raise
    return h5file


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


def figure_meaning(results_file, name):
    """(better, unit) of a figure as results.h5 declares it: better is 'higher', 'lower'
    or 'neither'; ('neither', '') where a file of an older attnlab does not say."""
    group = results_file["arms"].get(name)
    if group is None or "better" not in group.attrs:
        return "neither", ""
    return _digest_text(group.attrs["better"]), _digest_text(group.attrs["unit"])


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


def config_hash(text):
    """A trial id: the FNV-1a digest of its resolved configuration's text (config_hash in C++)."""
    digest = _Fnv1a()
    digest.add(text.encode("utf-8"))
    return f"{digest.value:016x}"


# -- an output directory -------------------------------------------------------------------
class Trial:
    """A finished trial whose file passed every check; `file` is its open h5py.File."""

    def __init__(self, trial_id, h5file):
        self.id = trial_id
        self.file = h5file
        self.arm = _digest_text(h5file.attrs["arm"])
        self.seed = int(h5file.attrs["seed"])
        self.config_yaml = _digest_text(h5file.attrs["config_yaml"])
        axes = TRIAL_FILE_PATHS["axes"]
        self.axes = ({k: _digest_text(v) for k, v in h5file[axes].attrs.items()}
                     if axes in h5file else {})

    def figures(self):
        """The final figures: {name: value}."""
        return {name: float(value)
                for name, value in self.file[TRIAL_FILE_PATHS["final"]].attrs.items()}

    def training_length(self):
        """The length whose evaluated figures carry no @L."""
        evaluation = self.file[TRIAL_FILE_PATHS["evaluation"]]
        return int(evaluation.attrs[TRIAL_FILE_PATHS["training_length"]])

    def tokens(self):
        """What the task's tokens are, as it declared: "bytes" of a text or "ids"."""
        inputs = self.file.get(TRIAL_FILE_PATHS["inputs"])
        return _digest_text(inputs.attrs["tokens"]) if inputs is not None and \
            "tokens" in inputs.attrs else "ids"

    def curve(self, figure):
        """(steps, values) of a final figure's curve: train_loss or an eval_ figure."""
        if figure == TRAIN_LOSS_FIGURE:
            steps, values = (TRIAL_FILE_PATHS["train_steps"],
                             f"{TRIAL_FILE_PATHS['train']}/loss")
        else:
            metric, length, setting = parse_figure(figure)
            if not figure.startswith("eval_"):
                raise FileError(f"'{figure}' has no curve: curves exist for train_loss and the "
                                "eval_ figures")
            group = evaluation_group(setting, self.training_length() if length is None
                                     else length)
            steps, values = TRIAL_FILE_PATHS["evaluation_steps"], f"{group}/{metric}"
        if values not in self.file:
            raise FileError(f"{self.file.filename}: no curve /{values}")
        return read_dataset(self.file[steps]), read_dataset(self.file[values])

    def evaluations(self):
        """{setting (None: the task as trained): {length: [metric, ...]}}: what the trial
        evaluated, read by the templates of TRIAL_FILE_PATHS."""
        def lengths(group_path):
            group = self.file.get(group_path)
            prefix = TRIAL_FILE_PATHS["evaluation_group"].rsplit("/", 1)[1][:-len("<L>")]
            return {int(name[len(prefix):]): sorted(group[name]) for name in (group or {})
                    if name.startswith(prefix) and name[len(prefix):].isdigit()}
        found = {None: lengths(TRIAL_FILE_PATHS["evaluation"])}
        settings = TRIAL_FILE_PATHS["setting_group"].split("/<setting>/", 1)[0]
        for setting in self.file.get(settings, {}):
            found[setting] = lengths(f"{settings}/{setting}")
        return found

    def snapshots(self):
        """The recording steps, in order."""
        snapshot = TRIAL_FILE_PATHS["snapshot"]
        folder, prefix = snapshot.rsplit("/", 1)[0], snapshot.rsplit("/", 1)[1][:-len("<NNNNNN>")]
        recorded = self.file.get(folder, {})
        return sorted(int(name[len(prefix):]) for name in recorded
                      if name.startswith(prefix) and name[len(prefix):].isdigit())

    def activation(self, name, step=None):
        """(values, dimension names) of a recorded tensor at `step` (default: the last)."""
        steps = self.snapshots()
        if not steps:
            raise FileError(f"{self.file.filename}: records no activations")
        step = steps[-1] if step is None else step
        path = hdf5_path(snapshot_group(step), name)
        if path not in self.file:
            raise FileError(f"{self.file.filename}: no activation {name} at step {step}")
        dataset = self.file[path]
        return read_dataset(dataset), [_digest_text(d) for d in dataset.attrs["dims"]]

    def inputs(self):
        """{name: ids} of the recorded examples (source, target_input, targets)."""
        group = self.file.get(TRIAL_FILE_PATHS["inputs"], {})
        return {name: read_dataset(group[name]) for name in group}


class OutputDir:
    """An experiment's output directory, read as the C++ side reads it."""

    def __init__(self, directory):
        if not os.path.isdir(directory):
            raise FileError(f"{directory}: no such output directory")
        self.path = directory

    def path_of(self, name, trial_id=None):
        return path_in(self.path, name, trial_id)

    def results(self):
        """results.h5, checked (kind experiment, schema, seal)."""
        path = self.path_of("results_h5")
        if not os.path.exists(path):
            raise FileError(f"{self.path}: no results.h5; 'attnlab run' writes it when trials "
                            "finish")
        return open_checked(path, "experiment")

    def arms(self):
        with self.results() as results:
            return [_digest_text(a) for a in results["arms"].attrs["labels"]]

    def finished_trials(self):
        """([Trial, ...], [(id, reason), ...]): the trials results.h5 lists as finished
        whose files pass every check (kind, schema, seal, id), in plan order of arms, then
        seeds; and those left out, with why. Trials are opened by their path in the
        layout, never through results.h5's links, and each must hold its own id."""
        trials_folder = self.path_of("trials")
        if os.path.islink(trials_folder):
            raise FileError(f"{trials_folder}: is a symbolic link; attnlab reads and writes only "
                            "real folders of the output directory (a link would lead outside "
                            "it). Remove the link")
        with self.results() as results:
            listed = [_digest_text(t) for t in results["trials"].attrs["finished"]]
            arms = [_digest_text(a) for a in results["arms"].attrs["labels"]]
        trials, left_out = [], []
        for trial_id in listed:
            try:
                trials.append(self.trial(trial_id))
            except FileError as error:
                left_out.append((trial_id, str(error)))
        trials.sort(key=lambda t: (arms.index(t.arm) if t.arm in arms else len(arms), t.seed))
        return trials, left_out

    def trial(self, trial_id):
        """One trial's file, checked as finished_trials checks it."""
        h5file = open_checked(self.path_of("trial_file", trial_id), "trial")
        try:
            stored = _digest_text(h5file.attrs.get("trial_id", ""))
            config = _digest_text(h5file.attrs.get("config_yaml", ""))
            if stored != trial_id or config_hash(config) != trial_id:
                raise FileError(f"{h5file.filename}: holds trial {stored} (its configuration "
                                f"hashes to {config_hash(config)}), not trial {trial_id}: copied "
                                "or renamed")
            if _digest_text(h5file.attrs.get("status", "")) != "finished":
                raise FileError(f"{h5file.filename}: not finished")
            return Trial(trial_id, h5file)
        except BaseException:
            h5file.close()
            raise

    def analysis_file(self, kind):
        """analysis/head_metrics.h5 or head_ablation.h5, checked."""
        return open_checked(self.path_of(f"{kind}_h5"), kind)
