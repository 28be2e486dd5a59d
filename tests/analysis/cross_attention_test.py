#!/usr/bin/python3
"""analysis/cross_attention.py on hand-made trial files with known alignments:
a head that attends exactly to the reversed position scores 1, a uniform head
1/n, and the same weights read as `copy` score what copying would."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy

SCRIPT = os.path.join(sys.argv[1], "analysis", "cross_attention.py")


def write_trial(folder, name, weights, lengths, width):
    targets = numpy.full((len(lengths), width), -100, dtype=numpy.int32)
    for e, n in enumerate(lengths):
        targets[e, :n] = 1
    with h5py.File(os.path.join(folder, "trials", name + ".h5"), "w") as f:
        f["activations/inputs/source"] = numpy.zeros((len(lengths), width), dtype=numpy.int32)
        f["activations/inputs/source_lengths"] = numpy.array(lengths, dtype=numpy.int32)
        f["activations/inputs/targets"] = targets
        f["activations/step_000010/decoder/layers/0/cross_attn/weights"] = weights


def main():
    width, lengths = 4, [4, 2]
    exact = numpy.zeros((2, 2, width, width), dtype=numpy.float32)  # [example, head, query, key]
    uniform = numpy.zeros_like(exact)
    for e, n in enumerate(lengths):
        for t in range(width):
            if t < n:
                exact[e, 0, t, n - 1 - t] = 1.0  # head 0: the reversed position
                exact[e, 1, t, :n] = 1.0 / n     # head 1: uniform over the source
                uniform[e, :, t, :n] = 1.0 / n
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "trials"))
        write_trial(folder, "a", exact, lengths, width)
        write_trial(folder, "b", uniform, lengths, width)
        with open(os.path.join(folder, "trials.csv"), "w") as listing:
            listing.write("index,id,arm,seed,status\n0,a,exact,0,finished\n1,b,uniform,0,finished\n"
                          "2,c,unfinished,0,failed\n")
        run = lambda *extra: subprocess.run([sys.executable, SCRIPT, folder, *extra],
                                            capture_output=True, text=True)
        reverse = run("--expect", "reverse", "--map", "exact")
        print(reverse.stdout, reverse.stderr)
        assert reverse.returncode == 0
        assert "exact  layer 0: 1.000 [1.000, 1.000] over 1 seeds (best head by seed: 0)" in reverse.stdout
        # uniform: the mean over the 6 scored outputs, (4 * 1/4 + 2 * 1/2) / 6 = 1/3
        assert "uniform  layer 0: 0.333 [0.333, 0.333]" in reverse.stdout
        assert "output 0: 000#" in reverse.stdout and "output 3: #000" in reverse.stdout
        copy = run("--expect", "copy")
        print(copy.stdout)
        # head 0 read as copying: right only where n - 1 - t == t, never for n = 4 or 2
        assert "exact  layer 0: 0.333 [0.333, 0.333]" in copy.stdout  # the uniform head wins
        missing = run("--expect", "reverse", "--map", "nothing")
        assert missing.returncode != 0 and "--map: no arm 'nothing'" in missing.stderr, missing.stderr


if __name__ == "__main__":
    main()
