#!/usr/bin/python3
"""Print some columns of a run's results table, as attnlab writes it.

    /usr/bin/python3 analysis/results_columns.py RUN_DIR FIGURE [FIGURE ...] [--arms TEXT]

Reads RUN_DIR/results.csv (written by `attnlab run`) and prints a markdown
table with, per arm, the seeds finished and failed and each FIGURE as
"mean ± std [95% interval]" (a single number when no seed varied, "–" when
the arm did not measure it), in the format of results.md: the interval is the
bootstrap one results.md shows, and an experiment with `solved:` adds its
"k of n [Clopper-Pearson interval]" column. `--arms` keeps the
arms whose label contains TEXT. For tables too wide to read whole.
"""
import argparse
import csv
import math
import os
import sys


def cell(row, figure):
    text = row.get(f"{figure}_mean", "")
    if text == "":
        return "–"
    mean, std = float(text), row[f"{figure}_std"]
    if math.isnan(mean):
        return "–"
    if std == "" or math.isnan(float(std)):
        return f"{mean:.4f}"
    if float(std) == 0.0:
        return f"{mean:.6g}"
    low, high = row.get(f"{figure}_boot_low", ""), row.get(f"{figure}_boot_high", "")
    if low == "":  # no spread to resample, or more than 128 seeds
        return f"{mean:.4f} ± {float(std):.4f}"
    return f"{mean:.4f} ± {float(std):.4f} [{float(low):.4f}, {float(high):.4f}]"


def solved_cell(row):
    if row["solved_seeds"] in ("", "0"):
        return "–"
    return (f"{row['solved']} of {row['solved_seeds']} [{float(row['solved_low']):.2f}, "
            f"{float(row['solved_high']):.2f}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory (holds results.csv)")
    parser.add_argument("figures", nargs="+", help="final figures, e.g. eval_accuracy@64")
    parser.add_argument("--arms", default="", help="keep arms whose label contains this text")
    args = parser.parse_args()
    path = os.path.join(args.run, "results.csv")
    if not os.path.isfile(path):
        sys.exit(f"{path}: not found; expected the directory of a finished 'attnlab run'")
    with open(path, newline="") as source:
        rows = list(csv.DictReader(source))
    known = sorted({c[: -len("_mean")] for c in (rows[0] if rows else {}) if c.endswith("_mean")})
    for figure in args.figures:
        if figure not in known:
            sys.exit(f"{path}: no figure '{figure}'; the figures are: {', '.join(known)}")
    solved = bool(rows) and "solved" in rows[0]  # the experiment declares solved:
    # As results.md: a diverged column only when a seed diverged (older files have none).
    diverged = any(int(row.get("diverged") or 0) > 0 for row in rows)
    print("| arm | finished | " + ("diverged | " if diverged else "") + "failed | " +
          ("solved | " if solved else "") + " | ".join(args.figures) + " |")
    print("|---|---:|---:|" + "---:|" * (len(args.figures) + solved + diverged))
    for row in rows:
        if args.arms in row["arm"]:
            print(f"| {row['arm']} | {row['finished']} | " +
                  (f"{row['diverged']} | " if diverged else "") + f"{row['failed']} | " +
                  (solved_cell(row) + " | " if solved else "") +
                  " | ".join(cell(row, f) for f in args.figures) + " |")


if __name__ == "__main__":
    main()
