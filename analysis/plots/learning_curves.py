"""Learning curves per arm: the mean over seeds of one evaluated figure at each
evaluation step, with a band from the lowest to the highest seed.

Reads the finished trials' files results.h5 lists (metrics/eval).
Usage: learning_curves.py OUTPUT_DIR [--metric accuracy] [--length L] [--out FILE.png]
(--metric: loss | accuracy | exact_match | generation_accuracy, or a final figure's
name, eval_loss@32 or eval_loss[split=heldout] (an evaluation setting); --length: an
evaluated length, default the training length)."""
import argparse
import os

from common import (attnlab_files, fail, line_style, np, place_legend, plots_folder, plt, read,
                    results, save, trials_by_arm)


CURVES = ("loss", "accuracy", "exact_match", "generation_accuracy")


def curve(trial, metric, length, setting):
    try:
        return trial.curve(attnlab_files.figure_name(metric, length, setting))
    except attnlab_files.FileError:  # not evaluated at that length: not drawn
        return None, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--metric", default="accuracy")
    parser.add_argument("--length", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    # The final figure's name works too: eval_accuracy, eval_accuracy@32.
    name, length, setting = attnlab_files.parse_figure(
        args.metric if args.metric.startswith("eval_") else f"eval_{args.metric}")
    args.length = args.length or length
    if setting and args.length:
        fail(f"--metric {args.metric}: an evaluation setting is evaluated at the training "
             "length only; leave out --length")
    if name not in CURVES:
        fail(f"--metric {args.metric}: the evaluation curves are {', '.join(CURVES)} (or "
             "eval_<curve>, eval_<curve>@<length>)")
    args.metric = name
    suffix = f"@{args.length}" if args.length else f"[{setting}]" if setting else ""
    out = args.out or os.path.join(plots_folder(args.output_dir),
                                   f"curves_{args.metric}{suffix}.png")
    with results(args.output_dir) as index:
        figure, ax = plt.subplots(figsize=(7, 4.5))
        drawn = 0
        for arm, trials in trials_by_arm(args.output_dir).items():
            curves = [curve(t, args.metric, args.length, setting) for t in trials]
            curves = [(s, v) for s, v in curves if s is not None]
            if not curves:
                continue
            steps = curves[0][0]
            values = np.array([v for s, v in curves if len(v) == len(steps)])
            line, = ax.plot(steps, values.mean(axis=0), label=f"{arm} ({len(values)} seeds)",
                            **line_style(drawn))
            ax.fill_between(steps, values.min(axis=0), values.max(axis=0), alpha=0.2,
                            color=line.get_color())
            drawn += 1
        if not drawn:
            fail(f"no trial has an evaluation curve of '{args.metric}{suffix}'")
        ax.set_xlabel("training step")
        ax.set_ylabel(f"eval {args.metric}" + (f" at length {args.length}" if args.length else "")
                      + (f" [{setting}]" if setting else ""))
        ax.set_title(f"{index.attrs['experiment']}: mean over seeds, band = lowest to highest seed",
                     fontsize=10)
        place_legend(ax, figure)
        figure.tight_layout()
        save(figure, out)


if __name__ == "__main__":
    main()
