"""A final figure against the evaluated length, one line per arm: mean over
seeds with 95% intervals (how each arm, e.g. each positional encoding,
extrapolates past the training length, marked by a dashed line).

Reads OUTPUT_DIR/results.h5 (arms/<metric> and arms/<metric>@L).
Usage: length_curves.py OUTPUT_DIR [--metric eval_accuracy] [--out FILE.png]"""
import argparse
import os

from common import (arms, attnlab_files, fail, line_style, mean_interval, np, place_legend,
                    plots_folder, plt, read, results, save, trials_by_arm)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--metric", default="eval_accuracy")
    parser.add_argument("--out")
    args = parser.parse_args()
    out = args.out or os.path.join(plots_folder(args.output_dir), f"lengths_{args.metric}.png")
    with results(args.output_dir) as index:
        figures = index["arms"]
        metric = attnlab_files.parse_figure(args.metric)[0]
        extra = sorted(length for length_figure in figures
                       for name, length, setting in [attnlab_files.parse_figure(length_figure)]
                       if name == metric and length is not None and setting is None
                       and length_figure.startswith("eval_"))
        if args.metric not in figures or not extra:
            fail(f"--metric {args.metric}: results.h5 has no {args.metric}@L figures (the "
                 "experiment evaluated no extra lengths: eval.lengths)")
        trials = [t for seeds in trials_by_arm(args.output_dir).values() for t in seeds]
        if not trials:
            fail(f"{args.output_dir}: no finished trial to read the training length from")
        trained = trials[0].training_length()
        lengths = [trained] + extra
        names = [args.metric] + [attnlab_files.figure_name(metric, L) for L in extra]
        figure, ax = plt.subplots(figsize=(7, 4.5))
        for a, arm in enumerate(arms(index)):
            mean = np.array([read(figures[n]["mean"])[a] for n in names])
            low = np.array([mean_interval(figures[n])[0][a] for n in names])
            high = np.array([mean_interval(figures[n])[1][a] for n in names])
            order = np.argsort(lengths)
            x = np.array(lengths)[order]
            ax.errorbar(x, mean[order], yerr=[np.nan_to_num(mean - low)[order],
                                              np.nan_to_num(high - mean)[order]],
                        marker="o", capsize=3, label=arm, **line_style(a))
        ax.axvline(trained, linestyle="--", color="grey", label=f"training length {trained}")
        ax.set_xlabel("task length evaluated")
        ax.set_ylabel(args.metric)
        ax.set_title(f"{index.attrs['experiment']}: mean over seeds, 95% intervals", fontsize=10)
        place_legend(ax, figure)
        figure.tight_layout()
        save(figure, out)


if __name__ == "__main__":
    main()
