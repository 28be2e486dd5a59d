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
sys.path.insert(0, os.path.join(sys.argv[1], "analysis"))
import attnlab_files  # noqa: E402  (found beside the script under test)


def seal(f):
    """Seals a hand-made file as attnlab does: each dataset's digest, then the seal."""
    f.visititems(lambda name, obj: obj.attrs.__setitem__(
        attnlab_files.DATA_DIGEST_ATTRIBUTE, attnlab_files.data_digest(obj[()]))
        if isinstance(obj, h5py.Dataset) else None)
    f.attrs[attnlab_files.SEAL_VERSION_ATTRIBUTE] = attnlab_files.SEAL_VERSION
    f.attrs[attnlab_files.SEAL_ATTRIBUTE] = attnlab_files.attributes_digest(f)


def write_trial(folder, arm, weights, lengths, width):
    """A sealed trial file of `arm` holding the given cross-attention weights; its id."""
    config = f"arm: {arm}\n"
    trial_id = attnlab_files.config_hash(config)
    targets = numpy.full((len(lengths), width), -100, dtype=numpy.int32)
    for e, n in enumerate(lengths):
        targets[e, :n] = 1
    with h5py.File(attnlab_files.path_in(folder, "trial_file", trial_id), "w") as f:
        f.attrs.update({"kind": "trial", "attnlab_results_schema": 2, "trial_id": trial_id,
                        "arm": arm, "seed": 0, "config_yaml": config, "status": "finished"})
        f["activations/inputs/source"] = numpy.zeros((len(lengths), width), dtype=numpy.int32)
        f["activations/inputs/source_lengths"] = numpy.array(lengths, dtype=numpy.int32)
        f["activations/inputs/targets"] = targets
        name = "activations/step_000010/decoder/layers/0/cross_attn/weights"
        f[name] = weights
        f[name].attrs["dims"] = numpy.array(["example", "head", "query", "key"],
                                            dtype=h5py.string_dtype())
        seal(f)
    return trial_id


def write_index(folder, finished, arms):
    """A sealed results.h5 listing the finished trials and the arms."""
    strings = lambda values: numpy.array(values, dtype=h5py.string_dtype())
    with h5py.File(attnlab_files.path_in(folder, "results_h5"), "w") as f:
        f.attrs.update({"kind": "experiment", "attnlab_results_schema": 2})
        f.create_group("trials")
        f["trials"].attrs["finished"] = strings(finished)
        f["trials"].attrs["failed"] = strings(["c"])
        f.create_group("arms")
        f["arms"].attrs["labels"] = strings(arms)
        seal(f)


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
        finished = [write_trial(folder, "exact", exact, lengths, width),
                    write_trial(folder, "uniform", uniform, lengths, width)]
        write_index(folder, finished, ["exact", "uniform", "unfinished"])
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
