"""An ablation's arms as bars: the mean of one final figure over seeds with
its 95% interval as error bars, and every seed as a dot.

Reads OUTPUT_DIR/results.h5 and the finished trials' files it lists.
Usage: comparison_bars.py OUTPUT_DIR [--metric eval_accuracy] [--out FILE.png]"""
import argparse
import os

from common import (arms, fail, mean_interval, np, plots_folder, plt, read, results, save,
                    trials_by_arm)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--metric", default="eval_accuracy")
    parser.add_argument("--out")
    args = parser.parse_args()
    out = args.out or os.path.join(plots_folder(args.output_dir), f"bars_{args.metric}.png")
    with results(args.output_dir) as index:
        if args.metric not in index["arms"]:
            fail(f"--metric {args.metric}: results.h5 has no such figure; it has: "
                 f"{', '.join(k for k in index['arms'] if k not in ('finished', 'failed', 'diverged'))}")
        labels = arms(index)
        figure_data = index["arms"][args.metric]
        mean = read(figure_data["mean"])
        low, high, interval_label = mean_interval(figure_data)
        seeds = trials_by_arm(args.output_dir)
        many = len(labels) > 6  # then arms down the side, where long labels fit
        figure, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1.6) if many
                                  else (max(5, 1.1 * len(labels) + 2), 4.5))
        x = np.arange(len(labels))
        have_ci = ~np.isnan(low)
        error = [mean[have_ci] - low[have_ci], high[have_ci] - mean[have_ci]]
        if many:
            ax.barh(x, mean, color="#9ecae1", edgecolor="#3182bd", label="mean over seeds")
            ax.errorbar(mean[have_ci], x[have_ci], xerr=error, fmt="none", ecolor="black",
                        capsize=3, label=interval_label)
        else:
            ax.bar(x, mean, color="#9ecae1", edgecolor="#3182bd", label="mean over seeds")
            ax.errorbar(x[have_ci], mean[have_ci], yerr=error, fmt="none", ecolor="black",
                        capsize=4, label=interval_label)
        for i, arm in enumerate(labels):
            values = [t.figures()[args.metric] for t in seeds.get(arm, [])
                      if args.metric in t.figures()]
            spread = np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values))
            ax.plot(*((values, spread) if many else (spread, values)), "o", color="#de2d26",
                    markersize=4, label="one seed" if i == 0 else None)
        if many:
            ax.set_yticks(x, labels, fontsize=8)
            ax.invert_yaxis()  # plan order from the top
            ax.set_xlabel(args.metric)
        else:
            ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
            ax.set_ylabel(args.metric)
        ax.set_title(f"{index.attrs['experiment']}: {args.metric} per arm")
        ax.legend(fontsize=8, loc="best")
        figure.tight_layout()
        save(figure, out)


if __name__ == "__main__":
    main()
