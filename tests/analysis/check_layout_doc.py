#!/usr/bin/python3
"""docs/hdf5-layout.md against real files, both ways: every path and attribute
the document names exists in a trial file or results.h5 attnlab writes, and
every one such a file holds is named in the document. The files come from two
small runs that between them use every optional part (extra lengths,
eval.settings, generation, every recorded tensor, record.heads, padding,
byte tokens, an ablation's axes).

usage: check_layout_doc.py ATTNLAB SOURCE_DIR"""
import os
import re
import subprocess
import sys
import tempfile

import h5py

ATTNLAB, SOURCE = sys.argv[1], sys.argv[2]
DOC = os.path.join(SOURCE, "docs", "hdf5-layout.md")
RUNS = {
    "decoder": """
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: induction, symbols: 8, length: 4}
train: {steps: 4, warmup: 1}
eval: {every: 2, batches: 1, generation_batches: 1, lengths: [3], settings: [{min_repeat: 3}]}
record: {tensors: ['**'], examples: 2, heads: [1]}
ablation: {grid: {model.layers: [1, 2]}}
seeds: 1
""",
    "padded": """
model: {architecture: encoder_decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: variable_length, length: 5}
train: {steps: 2, warmup: 1}
eval: {every: 0, batches: 1}
record: {tensors: ['**.weights'], examples: 2}
seeds: 1
""",
    "bytes": """
model: {architecture: decoder, d_model: 8, layers: 1, ffn: 16}
heads: {count: 2}
task: {name: char_lm, length: 8}
train: {steps: 2, warmup: 1}
eval: {every: 0, batches: 1}
record: {tensors: ['**.weights'], examples: 2}
seeds: 1
""",
}


def code_block_after(text, marker):
    """The first ``` block after the line holding `marker`."""
    start = text.index(marker)
    opened = text.index("```\n", start) + 4
    return text[opened:text.index("```", opened)].splitlines()


def first_column(line):
    return re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]


def names_in(column):
    return {name.strip() for name in column.split(",") if name.strip()}


def documented(block):
    """(path patterns, root attribute names) of one file's block."""
    paths, root, in_root = [], set(), False
    for line in block:
        if line.startswith("/"):
            paths.append(first_column(line))
            in_root = paths[-1] == "/"
        elif in_root and line.startswith("  ") and not line.startswith("   "):
            root |= names_in(first_column(line))
    return [p for p in paths if p != "/"], root


def pattern(path):
    parts = re.split(r"(<name as a path>|<[^>]+>|NNNNNN)", path)
    regex = "".join(".+" if p == "<name as a path>" else "[^/]+" if p.startswith("<")
                    else r"\d{6}" if p == "NNNNNN" else re.escape(p) for p in parts)
    return re.compile(regex + "$")


def objects(h5file):
    """{path: object} of every group and dataset, and of every external link (as None)."""
    found = {}

    def visit(name, obj):
        found["/" + name] = obj
        if isinstance(obj, h5py.Group):
            for child in obj:
                if isinstance(obj.get(child, getlink=True), h5py.ExternalLink):
                    found[f"/{name}/{child}"] = None
    h5file.visititems(visit)
    return found


def check_file_kind(label, files, documented_paths, documented_root, other_attributes,
                    variable_groups):
    patterns = [(p, pattern(p)) for p in documented_paths]
    used, problems = set(), []
    real_root, real_other = set(), set()
    for path in files:
        with h5py.File(path, "r") as f:
            real_root |= set(f.attrs)
            for name, obj in objects(f).items():
                matched = [p for p, regex in patterns if regex.match(name)]
                if matched:
                    used.update(matched)
                elif not isinstance(obj, h5py.Group) or not any(
                        n.startswith(name + "/") for n in objects(f)):
                    problems.append(f"{label}: {name} in {os.path.basename(path)} is not "
                                    "in docs/hdf5-layout.md")
                if obj is not None and not any(re.match(v, name) for v in variable_groups):
                    real_other |= set(obj.attrs)
    for path in documented_paths:
        if path not in used:
            problems.append(f"{label}: docs/hdf5-layout.md names {path}, which no file holds")
    for name in sorted(real_root - documented_root):
        problems.append(f"{label}: root attribute {name} is not in docs/hdf5-layout.md")
    for name in sorted(documented_root - real_root):
        problems.append(f"{label}: docs/hdf5-layout.md names root attribute {name}, which no "
                        "file has")
    return problems, real_other


def main():
    text = open(DOC).read()
    common = set()
    for line in code_block_after(text, "Every HDF5 file attnlab writes has these root attributes"):
        if line and not line.startswith(" "):
            common |= names_in(first_column(line))
    trial_paths, trial_root = documented(code_block_after(text, "## A trial"))
    index_paths, index_root = documented(code_block_after(text, "## The experiment index"))
    other = set()
    for line in code_block_after(text, "Attributes of groups and datasets"):
        if line and not line.startswith(" "):
            other |= names_in(first_column(line))
    with tempfile.TemporaryDirectory() as folder:
        trials, indexes = [], []
        for name, experiment in RUNS.items():
            path = os.path.join(folder, f"{name}.yaml")
            with open(path, "w") as f:
                f.write(experiment)
            out = os.path.join(folder, name)
            done = subprocess.run([ATTNLAB, "run", path, "-q", "-o", f"output={out}"],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"attnlab run {name} failed:\n{done.stdout}{done.stderr}")
            trials += [os.path.join(out, "trials", t) for t in os.listdir(
                os.path.join(out, "trials")) if t.endswith(".h5")]
            indexes.append(os.path.join(out, "results.h5"))
        variable = [r"^/axes$", r"^/final$", r"^/trials$", r"^/arms$", r"^/arms/[^/]+$"]
        problems, trial_other = check_file_kind("trial file", trials, trial_paths,
                                                trial_root | common, other, variable)
        more, index_other = check_file_kind("results.h5", indexes, index_paths,
                                            index_root | common, other, variable)
        problems += more
        real_other = trial_other | index_other
        for name in sorted(real_other - other):
            problems.append(f"attribute {name} (of a group or dataset) is not in "
                            "docs/hdf5-layout.md")
        for name in sorted(other - real_other):
            problems.append(f"docs/hdf5-layout.md names attribute {name}, which no group or "
                            "dataset has")
    if problems:
        sys.exit("\n".join(problems))
    print(f"docs/hdf5-layout.md names exactly what {len(trials)} trial files and "
          f"{len(indexes)} results.h5 hold: {len(trial_paths) + len(index_paths)} paths, "
          f"{len(trial_root | index_root | common)} root attributes, {len(other)} others")


if __name__ == "__main__":
    main()
