#!/usr/bin/python3
"""Print every trial's evaluation curve from a finished (or partial) run.

    /usr/bin/python3 analysis/eval_curves.py RUN_DIR [--metric accuracy] [--length L]
                                             [--setting NAME] [--every K]
                                             [--every-tuned-value]

One row per trial (arm, seed), one column per evaluated step, tab-separated:
the figure `metrics/eval/length_<L>/<metric>` of its trial file
(docs/hdf5-layout.md), at the training length unless --length says another;
with --setting, the curve of that eval.settings evaluation
(`metrics/eval/settings/<NAME>/length_<L>/<metric>`, e.g. --setting
split=heldout). Trials are read through analysis/attnlab_files/: those not
finished, and those whose files fail a check, are named and left out. Under
`tune:` a column gives each trial's value of the tuned key, and only the
trials the tables report are printed (each arm at its selected value) unless
--every-tuned-value asks for the curves of every value (how a tuning's
budget is judged).
"""
import argparse
import csv
import os
import sys

import attnlab_files


def curve(trial, args):
    """The steps and values of one trial, or exits naming what is missing."""
    path = trial.file.filename
    evaluations = trial.evaluations()
    if args.setting is not None and args.setting not in evaluations:
        sys.exit(f"{path}: no eval.settings evaluation '{args.setting}'; settings here: "
                 f"{sorted(s for s in evaluations if s is not None) or 'none'}")
    lengths = evaluations[args.setting]
    if args.length is not None:
        length = args.length
    elif args.setting is None:
        length = trial.training_length()
    else:
        length = min(lengths)  # a setting is evaluated at one length
    if args.metric not in lengths.get(length, []):
        where = attnlab_files.evaluation_group(args.setting, length)
        metrics = lengths[min(lengths)] if lengths else []
        sys.exit(f"{path}: no /{where}/{args.metric}; lengths here: {sorted(lengths)}, "
                 f"metrics: {metrics}")
    steps, values = trial.curve(attnlab_files.figure_name(args.metric, length, args.setting))
    return steps[:: args.every], values[:: args.every]


def tuned_values(run, key):
    """{trial id: its value of the tuned key}, from the run's trials.csv."""
    path = os.path.join(run, "trials.csv")
    with open(path, newline="") as source:
        rows = list(csv.DictReader(source))
    if rows and key not in rows[0]:
        sys.exit(f"{path}: no column '{key}' (the tuned key results.h5 names)")
    return {row["id"]: row[key] for row in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the output directory of an 'attnlab run'")
    parser.add_argument("--metric", default="accuracy", help="loss, accuracy, exact_match, ...")
    parser.add_argument("--length", type=int, help="task length (default: the training length)")
    parser.add_argument("--setting", help="an eval.settings evaluation, e.g. split=heldout")
    parser.add_argument("--every", type=int, default=1, help="print every k-th evaluation")
    parser.add_argument("--every-tuned-value", action="store_true",
                        help="under tune:, every value's trials, not only the reported ones")
    args = parser.parse_args()
    if args.every < 1:
        sys.exit(f"--every: expected an integer >= 1, got {args.every}")
    try:
        run = attnlab_files.OutputDir(args.run)
        trials, left_out = run.finished_trials(every_tuned_value=args.every_tuned_value)
        with run.results() as results:
            failed = [str(t) for t in results["trials"].attrs["failed"]]
            diverged = [str(t) for t in results["trials"].attrs.get("diverged", [])]
            tuned_key = (attnlab_files.text_of(results["arms/tuned"].attrs["key"])
                         if "tuned" in results["arms"] else None)
        tuned = tuned_values(args.run, tuned_key) if tuned_key else {}
    except attnlab_files.FileError as error:
        sys.exit(f"eval_curves.py: {error}")
    for trial_id in failed:
        print(f"# trial {trial_id}: failed, skipped")
    for trial_id in diverged:
        print(f"# trial {trial_id}: its training diverged, skipped")
    for trial_id, reason in left_out:
        print(f"# trial {trial_id}: left out: {reason}")
    header_printed = False
    for trial in trials:
        with trial.file:
            try:
                steps, values = curve(trial, args)
            except attnlab_files.FileError as error:
                sys.exit(f"eval_curves.py: {error}")
        if not header_printed:
            print("arm\t" + (f"{tuned_key}\t" if tuned_key else "") + "seed\t" +
                  "\t".join(f"step {int(s)}" for s in steps))
            header_printed = True
        print(f"{trial.arm}\t" + (f"{tuned.get(trial.id, '?')}\t" if tuned_key else "") +
              f"{trial.seed}\t" + "\t".join(f"{v:.3f}" for v in values))

if __name__ == "__main__":
    main()
