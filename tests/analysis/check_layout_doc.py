#!/usr/bin/python3
"""docs/hdf5-layout.md against real files, both ways: every path and attribute
the document names exists in a trial file or results.h5 attnlab writes, and
every one such a file holds is named in the document. The files come from two
small runs that between them use every optional part (extra lengths,
eval.settings, generation, every recorded tensor, record.heads, padding,
byte tokens, an ablation's axes, a solved: rule, a tuning).

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
record: {tensors: ['**'], examples: 2, heads: [1], every: 2, parameters: true}
ablation: {grid: {model.layers: [1, 2]}}
solved: {figure: eval_exact_match, at_least: 0.99}
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
tune: {train.lr: [0.001, 0.003]}
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
    """{path pattern: attribute names} of one file's block ("/" for the root)."""
    paths, current = {}, None
    for line in block:
        if line.startswith("/"):
            current = first_column(line)
            paths.setdefault(current, set())
        elif current and line.startswith("  ") and not line.startswith("   "):
            paths[current] |= names_in(first_column(line))
    return paths


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


def check_file_kind(label, files, documented_paths, common, dataset_attributes, free):
    """Problems of files of one kind against their block: paths both ways, and each
    object's attributes against those its path documents (plus `common` at the root and
    `dataset_attributes` on datasets). Objects matching `free` hold varying names."""
    patterns = {p: pattern(p) for p in documented_paths}
    used_paths, used_attributes, problems = set(), set(), []
    for path in files:
        with h5py.File(path, "r") as f:
            found = objects(f)
            found["/"] = f
            for name, obj in found.items():
                matched = [p for p, regex in patterns.items() if p == name or regex.match(name)]
                if not matched:
                    if not isinstance(obj, h5py.Group) or not any(
                            n.startswith(name + "/") for n in found):
                        problems.append(f"{label}: {name} in {os.path.basename(path)} is not in "
                                        "docs/hdf5-layout.md")
                    continue
                used_paths.update(matched)
                if obj is None or any(re.match(v, name) for v in free):
                    continue
                allowed = set().union(*(documented_paths[p] for p in matched))
                allowed |= common if name == "/" else set()
                allowed |= dataset_attributes if isinstance(obj, h5py.Dataset) else set()
                for attribute in obj.attrs:
                    if attribute in allowed:
                        used_attributes.update((p, attribute) for p in matched)
                        used_attributes.add(("*", attribute))
                    else:
                        problems.append(f"{label}: attribute {attribute} of {name} is not in "
                                        "docs/hdf5-layout.md")
    for path, attributes in documented_paths.items():
        if path not in used_paths:
            problems.append(f"{label}: docs/hdf5-layout.md names {path}, which no file holds")
        for attribute in attributes:
            if (path, attribute) not in used_attributes:
                problems.append(f"{label}: docs/hdf5-layout.md names attribute {attribute} of "
                                f"{path}, which no file has")
    return problems, {a for p, a in used_attributes if p == "*"}


def main():
    text = open(DOC).read()
    common = set()
    for line in code_block_after(text, "Every HDF5 file attnlab writes has these root attributes"):
        if line and not line.startswith(" "):
            common |= names_in(first_column(line))
    trial_paths = documented(code_block_after(text, "## A trial"))
    index_paths = documented(code_block_after(text, "## The experiment index"))
    dataset_attributes = set()
    for line in code_block_after(text, "Attributes of datasets, wherever they are"):
        if line and not line.startswith(" "):
            dataset_attributes |= names_in(first_column(line))
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
        free = [r"^/axes$", r"^/final$"]  # attribute names that are the arm's keys, figures
        problems, used = check_file_kind("trial file", trials, trial_paths, common,
                                         dataset_attributes, free)
        more, used_index = check_file_kind("results.h5", indexes, index_paths, common,
                                           dataset_attributes, free)
        problems += more
        for attribute in sorted((common | dataset_attributes) - used - used_index):
            problems.append(f"docs/hdf5-layout.md names attribute {attribute}, which no file has")
    if problems:
        sys.exit("\n".join(problems))
    attributes = sum(len(a) for a in trial_paths.values()) + \
        sum(len(a) for a in index_paths.values()) + len(common) + len(dataset_attributes)
    print(f"docs/hdf5-layout.md names exactly what {len(trials)} trial files and "
          f"{len(indexes)} results.h5 hold: {len(trial_paths) + len(index_paths)} paths and "
          f"{attributes} attributes, each where it is")


if __name__ == "__main__":
    main()
