#!/usr/bin/python3
"""Print every trial's evaluation curve from a finished (or partial) run.

    /usr/bin/python3 analysis/eval_curves.py RUN_DIR [--metric accuracy] [--length L] [--every K]

One row per trial (arm, seed), one column per evaluated step: the figure
`metrics/eval/length_<L>/<metric>` of its trial file (docs/hdf5-layout.md).
Trials listed in trials.csv but not finished are skipped and named.
"""
import argparse
import csv
import os
import sys

import h5py


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory (holds trials.csv and trials/)")
    parser.add_argument("--metric", default="accuracy", help="loss, accuracy, exact_match, ...")
    parser.add_argument("--length", type=int, help="task length (default: the training length)")
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
                evaluations = trial["metrics/eval"]
                lengths = sorted(int(name[len("length_"):]) for name in evaluations
                                 if name.startswith("length_"))
                length = args.length if args.length is not None else lengths[0]
                group = f"length_{length}"
                if group not in evaluations or args.metric not in evaluations[group]:
                    sys.exit(f"{path}: no metrics/eval/{group}/{args.metric}; lengths here: "
                             f"{lengths}, metrics: {sorted(evaluations[f'length_{lengths[0]}'])}")
                steps = evaluations["step"][:: args.every]
                values = evaluations[group][args.metric][:: args.every]
            if not header_printed:
                print("arm\tseed\t" + "\t".join(f"step {int(s)}" for s in steps))
                header_printed = True
            print(f"{row['arm']}\t{row['seed']}\t" + "\t".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
