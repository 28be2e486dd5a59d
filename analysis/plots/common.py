"""What the plotting tools share: attnlab's files read through the contract's
Python twin (analysis/attnlab_files/: kind, schema and seal checked, trials
opened by their path and their id checked), clear one-line errors, the arms
of a run in plan order, token labels, and figures saved atomically.

The tools only read attnlab's files and write PNGs; they need Debian's
python3-h5py, python3-numpy and python3-matplotlib."""
import os
import sys

try:
    import h5py  # noqa: F401  (named here so that a missing package is said at once)
    import matplotlib
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as missing:  # say exactly what to install
    sys.exit(f"{os.path.basename(sys.argv[0])}: {missing.name} is missing; install it with "
             "'apt-get install python3-h5py python3-numpy python3-matplotlib' (as root; "
             "scripts/attnlab-setup.sh does)")

# The twin sits beside these tools once installed, one folder up in the source tree.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _folder in (_HERE, os.path.dirname(_HERE)):
    if os.path.exists(os.path.join(_folder, "attnlab_files", "__init__.py")):
        sys.path.insert(0, _folder)
        break
import attnlab_files  # noqa: E402

DPI = 100
_LINE_STYLES = ("-", "--", ":", "-.")


def line_style(index):
    """The colour and line style of the index-th line: matplotlib's ten colours, then
    the same colours dashed, so that no two of up to 40 lines look alike."""
    return {"color": f"C{index % 10}", "linestyle": _LINE_STYLES[index // 10 % len(_LINE_STYLES)]}


def place_legend(ax, figure):
    """A legend inside the axes for a few lines; beside them, widening the figure,
    for more than 8, which would cover the lines."""
    entries = len(ax.get_legend_handles_labels()[1])
    if entries <= 8:
        ax.legend(fontsize=7)
        return
    width, height = figure.get_size_inches()
    figure.set_size_inches(width + 3.5, height)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


def fail(message):
    sys.exit(f"{os.path.basename(sys.argv[0])}: {message}")


def open_file(path, kind, produced_by):
    """An attnlab HDF5 file of `kind` that passed every check, or a clear exit naming the
    file and what is wrong."""
    if not os.path.exists(path):
        fail(f"{path}: no such file; {produced_by} writes it")
    try:
        return attnlab_files.open_checked(path, kind)
    except attnlab_files.FileError as error:
        fail(str(error))


def results(directory):
    return open_file(attnlab_files.path_in(directory, "results_h5"), "experiment",
                     "'attnlab run'")


def analysis_file(directory, name, command):
    return open_file(attnlab_files.path_in(directory, f"{name}_h5"), name,
                     f"'attnlab {command} {directory}'")


def arms(results_file):
    return [str(a) for a in results_file["arms"].attrs["labels"]]


def trials_by_arm(directory):
    """{arm: [attnlab_files.Trial, ...]} for every finished trial whose file passes every
    check, in plan order; a trial left out is named on stderr with the reason."""
    try:
        trials, left_out = attnlab_files.OutputDir(directory).finished_trials()
    except attnlab_files.FileError as error:
        fail(str(error))
    for trial_id, reason in left_out:
        print(f"{os.path.basename(sys.argv[0])}: left out trial {trial_id}: {reason}",
              file=sys.stderr)
    grouped = {}
    for trial in trials:
        grouped.setdefault(trial.arm, []).append(trial)
    return grouped


def read(dataset):
    """A dataset's values, checked against its digest; a damaged one is a clear exit."""
    try:
        return attnlab_files.read_dataset(dataset)
    except attnlab_files.FileError as error:
        fail(str(error))


def mean_interval(figure_group):
    """(low, high, what) of each arm's 95% interval of the mean in a results.h5 figure
    group: the bootstrap interval within the figure's range (boot_low/boot_high), or the
    Student t one in files written before attnlab had it."""
    if "boot_low" in figure_group:
        return (read(figure_group["boot_low"]), read(figure_group["boot_high"]),
                "95% interval (bootstrap)")
    return read(figure_group["ci_low"]), read(figure_group["ci_high"]), "95% interval (Student t)"


_MODEL_ORDER = {"encoder": "0", "decoder": "1", "self_attn": "0", "cross_attn": "1"}


def model_order(dotted):
    """Sort key putting modules in model order: encoder before decoder, layer 2 before 10."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, _MODEL_ORDER.get(p, p))
            for p in dotted.split(".")]


def token_labels(ids, tokens):
    """Axis labels for token ids: characters where the task's tokens are "bytes" of a text
    (the `tokens` attribute attnlab writes, as the task declares), ids otherwise."""
    if tokens == "bytes":  # a visible space, escapes for the rest
        named = {32: "\u2423", 10: "\\n", 9: "\\t"}
        return [named.get(int(i), chr(i) if 32 < i < 127 else f"\\x{int(i):02x}") for i in ids]
    return [str(i) for i in ids]


def plots_folder(directory):
    """OUTPUT_DIR/analysis/plots, made if missing; never a symbolic link (a planted link
    would send the pictures elsewhere)."""
    folder = directory
    for name in attnlab_files.PATHS["plots"].split("/"):
        folder = os.path.join(folder, name)
        if os.path.islink(folder):
            fail(f"{folder}: is a symbolic link; the plots are written only into real folders "
                 "of the output directory. Remove the link")
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            fail(f"{folder}: cannot create the folder: {error.strerror}")
    return folder


def save(figure, path):
    """Writes the figure as PNG atomically, as attnlab writes every file: under a new
    temporary name (never through a link), flushed, then renamed over `path`; on any
    failure nothing is published and the temporary is removed."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        fail(f"{folder}: cannot create the folder: {error.strerror}")
    temporary = attnlab_files.temporary_path(path)
    try:
        if os.path.lexists(temporary):
            os.remove(temporary)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out:
            figure.savefig(out, dpi=DPI, format="png")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.lexists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError):
            fail(f"{path}: cannot write: {error.strerror or error}")
        raise
    finally:
        plt.close(figure)
    print(path)
