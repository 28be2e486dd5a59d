#!/usr/bin/python3
"""Print every trial's evaluation curve from a finished (or partial) run.

    /usr/bin/python3 analysis/eval_curves.py RUN_DIR [--metric accuracy] [--length L]
                                             [--setting NAME] [--every K]

One row per trial (arm, seed), one column per evaluated step, tab-separated:
the figure `metrics/eval/length_<L>/<metric>` of its trial file
(docs/hdf5-layout.md), at the training length unless --length says another;
with --setting, the curve of that eval.settings evaluation
(`metrics/eval/settings/<NAME>/length_<L>/<metric>`, e.g. --setting
split=heldout). Trials are read through analysis/attnlab_files/: those not
finished, and those whose files fail a check, are named and left out.
"""
import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the output directory of an 'attnlab run'")
    parser.add_argument("--metric", default="accuracy", help="loss, accuracy, exact_match, ...")
    parser.add_argument("--length", type=int, help="task length (default: the training length)")
    parser.add_argument("--setting", help="an eval.settings evaluation, e.g. split=heldout")
    parser.add_argument("--every", type=int, default=1, help="print every k-th evaluation")
    args = parser.parse_args()
    if args.every < 1:
        sys.exit(f"--every: expected an integer >= 1, got {args.every}")
    try:
        run = attnlab_files.OutputDir(args.run)
        trials, left_out = run.finished_trials()
        with run.results() as results:
            failed = [str(t) for t in results["trials"].attrs["failed"]]
    except attnlab_files.FileError as error:
        sys.exit(f"eval_curves.py: {error}")
    for trial_id in failed:
        print(f"# trial {trial_id}: failed, skipped")
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
            print("arm\tseed\t" + "\t".join(f"step {int(s)}" for s in steps))
            header_printed = True
        print(f"{trial.arm}\t{trial.seed}\t" + "\t".join(f"{v:.3f}" for v in values))

if __name__ == "__main__":
    main()
