"""The plotting tools on a real output directory: each writes a PNG of the
expected size that is not blank, and refuses bad input clearly.

Runs tests/analysis/recorded_heads.yaml (with an extra evaluated length),
'attnlab analyze' and 'attnlab ablate' on it, then every tool of
analysis/plots/. Usage: check_plots.py ATTNLAB"""
import atexit
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py
import matplotlib.image
import numpy as np

attnlab = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
plots = os.path.join(here, "..", "..", "analysis", "plots")
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)
out = os.path.join(work, "run")
subprocess.run([attnlab, "run", os.path.join(here, "recorded_heads.yaml"), "-o", f"output={out}",
                "-o", "eval.lengths=[8]", "-o", "eval.validation_batches=1", "--quiet"],
               check=True, stdout=subprocess.DEVNULL)
for command in ("analyze", "ablate"):
    subprocess.run([attnlab, command, out], check=True, stdout=subprocess.DEVNULL)


def tool(name, *arguments, env=None, directory=out):
    return subprocess.run(["/usr/bin/python3", os.path.join(plots, f"{name}.py"), directory,
                           *arguments], capture_output=True, text=True, env=env)


def png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    return struct.unpack(">II", header[16:24])


def check_png(path, size=None):
    width, height = png_size(path)
    if size:
        assert (width, height) == size, (path, width, height, size)
    assert 300 <= width <= 4000 and 250 <= height <= 4000, (path, width, height)
    pixels = matplotlib.image.imread(path)[..., :3]
    ink = np.mean(np.any(pixels < 0.95, axis=-1))  # share of pixels that are not white
    colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert ink > 0.02 and colours > 20, (path, ink, colours)


expected = {  # tool: (arguments, files, fixed size in pixels)
    "comparison_bars": ([], ["bars_eval_accuracy.png"], (500, 450)),
    "learning_curves": ([], ["curves_accuracy.png"], (700, 450)),
    "length_curves": ([], ["lengths_eval_accuracy.png"], (700, 450)),
    "attention_heatmaps": ([], None, None),
    "head_heatmaps": ([], ["heads_00_heads.count=1.png", "heads_01_heads.count=2.png"], None),
    "scaling_lines": (["--x", "heads.count"], ["scaling_eval_accuracy_heads.count.png"],
                      (500, 450)),
}
for name, (arguments, files, size) in expected.items():
    result = tool(name, *arguments)
    assert result.returncode == 0, (name, result.stderr)
    written = result.stdout.split()
    assert written, (name, result.stdout)
    if files:
        assert [os.path.basename(p) for p in written] == files, (name, written)
    for path in written:
        check_png(path, size)
with h5py.File(os.path.join(out, "analysis", "head_metrics.h5")) as f:
    first = sorted(f["trials"], key=lambda t: (f["trials"][t].attrs["arm"], f["trials"][t].attrs["seed"]))[0]
heatmaps = tool("attention_heatmaps", "--trial", first, "--example", "3").stdout.split()
assert len(heatmaps) == 2 and all("example3" in p for p in heatmaps), heatmaps  # one per layer


def refused(expected_text, name, *arguments, env=None, directory=out):
    result = tool(name, *arguments, env=env, directory=directory)
    assert result.returncode != 0 and expected_text in result.stderr, (name, arguments, result.stderr)


# A scaling figure over two axes (heads.count x positional.kind): a line or a panel per
# positional encoding; a text x axis, or an axis left undrawn, refused.
grid = os.path.join(work, "grid")
subprocess.run([attnlab, "run", os.path.join(here, "two_axes.yaml"), "-o", f"output={grid}",
                "-o", "seeds=2", "--quiet"], check=True, stdout=subprocess.DEVNULL)
for arguments, size in ((["--lines", "positional.kind"], (500, 450)),
                        (["--panels", "positional.kind"], (900, 450))):
    drawn = tool("scaling_lines", "--x", "heads.count", *arguments, "--out",
                 os.path.join(work, f"scaling{size[0]}.png"), directory=grid)
    assert drawn.returncode == 0, drawn.stderr
    check_png(drawn.stdout.strip(), size)
refused("--x positional.kind: arm 'heads.count=1, positional.kind=none' has the value 'none', "
        "not a number", "scaling_lines", "--x", "positional.kind", directory=grid)
refused("the arms differ in positional.kind too", "scaling_lines", "--x", "heads.count",
        directory=grid)


# A curve of an evaluation setting is that setting's, never silently the plain one.
setting_curve = tool("learning_curves", "--metric", "eval_loss[validation]")
assert setting_curve.returncode == 0, setting_curve.stderr
check_png(setting_curve.stdout.strip())
assert setting_curve.stdout.strip().endswith("curves_loss[validation].png"), setting_curve.stdout
refused("no trial has an evaluation curve of 'loss[nope=1]'", "learning_curves", "--metric",
        "eval_loss[nope=1]")
refused("--metric eval_acc: results.h5 has no such figure", "comparison_bars", "--metric", "eval_acc")
refused("--example 9: ", "attention_heatmaps", "--example", "9")
refused("trial nope is not in", "attention_heatmaps", "--trial", "nope")
refused("--arm x: no such arm", "head_heatmaps", "--arm", "x")
refused("--x heads.width: not an ablation axis of every arm; the arms' axes are: heads.count",
        "scaling_lines", "--x", "heads.width")
refused("must name different axes", "scaling_lines", "--x", "heads.count", "--lines", "heads.count")
victim = sorted(glob.glob(os.path.join(out, "trials", "*.h5")))[0]
with open(victim, "r+b") as f:  # a trial file damaged after the run: named and left out
    f.truncate(os.path.getsize(victim) // 3)
damaged = tool("learning_curves")
assert damaged.returncode == 0 and "left out trial" in damaged.stderr, damaged.stderr
os.remove(os.path.join(out, "analysis", "head_metrics.h5"))
refused("'attnlab analyze", "attention_heatmaps")
with open(os.path.join(out, "results.h5"), "r+b") as f:  # truncated
    f.truncate(100)
refused("not a readable HDF5 file", "comparison_bars")
with h5py.File(os.path.join(out, "results.h5"), "w") as f:  # someone else's file
    f.attrs["kind"] = "spreadsheet"
refused("not an attnlab experiment file", "length_curves")
fake = os.path.join(work, "fake")  # matplotlib missing: say what to install
os.makedirs(os.path.join(fake, "matplotlib"))
with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
    f.write("raise ImportError('no matplotlib here', name='matplotlib')\n")
refused("apt-get install python3-h5py python3-numpy python3-matplotlib", "learning_curves",
        env=dict(os.environ, PYTHONPATH=fake))
print("plots: every tool wrote non-blank PNGs of the expected size and refused bad input")
