#!/usr/bin/python3
"""Print every trial's evaluation curve from a finished (or partial) run.

    /usr/bin/python3 analysis/eval_curves.py RUN_DIR [--metric accuracy] [--length L]
                                             [--setting NAME] [--every K]

One row per trial (arm, seed), one column per evaluated step, tab-separated:
the figure `metrics/eval/length_<L>/<metric>` of its trial file
(docs/hdf5-layout.md), at the training length unless --length says another;
with --setting, the curve of that eval.settings evaluation
(`metrics/eval/settings/<NAME>/length_<L>/<metric>`, e.g. --setting
split=heldout). Trials listed in trials.csv but not finished are skipped and
named.
"""
import argparse
import csv
import os
import sys

import h5py


def lengths_in(group):
    return sorted(int(name[len("length_"):]) for name in group if name.startswith("length_"))


def curve(trial, path, args):
    """The steps and values of one trial, or exits naming what is missing."""
    evaluations = trial["metrics/eval"]
    group = evaluations
    if args.setting is not None:
        settings = evaluations.get("settings", {})
        if args.setting not in settings:
            sys.exit(f"{path}: no eval.settings evaluation '{args.setting}'; settings here: "
                     f"{sorted(settings) or 'none'}")
        group = settings[args.setting]
    lengths = lengths_in(group)
    if args.length is not None:
        length = args.length
    elif args.setting is None and "training_length" in evaluations.attrs:
        length = int(evaluations.attrs["training_length"])
    else:
        length = lengths[0]  # a setting is evaluated at one length; older files: the first
    name = f"length_{length}"
    if name not in group or args.metric not in group[name]:
        metrics = sorted(group[f"length_{lengths[0]}"]) if lengths else []
        sys.exit(f"{path}: no {group.name}/{name}/{args.metric}; lengths here: {lengths}, "
                 f"metrics: {metrics}")
    return evaluations["step"][:: args.every], group[name][args.metric][:: args.every]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory (holds trials.csv and trials/)")
    parser.add_argument("--metric", default="accuracy", help="loss, accuracy, exact_match, ...")
    parser.add_argument("--length", type=int, help="task length (default: the training length)")
    parser.add_argument("--setting", help="an eval.settings evaluation, e.g. split=heldout")
    parser.add_argument("--every", type=int, default=1, help="print every k-th evaluation")
    args = parser.parse_args()
    if args.every < 1:
        sys.exit(f"--every: expected an integer >= 1, got {args.every}")
    listing = os.path.join(args.run, "trials.csv")
    if not os.path.isfile(listing):
        sys.exit(f"{listing}: not found; expected the directory of an 'attnlab run'")
    header_printed = False
    with open(listing, newline="") as rows:
        for row in csv.DictReader(rows):
            path = os.path.join(args.run, "trials", row["id"] + ".h5")
            if row["status"] != "finished" or not os.path.isfile(path):
                print(f"# {row['arm']} seed {row['seed']}: {row['status']}, skipped")
                continue
            with h5py.File(path, "r") as trial:
                steps, values = curve(trial, path, args)
            if not header_printed:
                print("arm\tseed\t" + "\t".join(f"step {int(s)}" for s in steps))
                header_printed = True
            print(f"{row['arm']}\t{row['seed']}\t" + "\t".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
