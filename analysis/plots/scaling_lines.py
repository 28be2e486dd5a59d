"""A final figure against one numeric ablation axis (e.g. model.d_model), a
line per value of a second axis (e.g. attention.variant) and a panel per value
of a third (e.g. task.length): the shape of a scaling figure such as Zoology's
Fig. 2. Each point is the mean over seeds with its 95% interval (no bar where
there is none: one seed, or every seed equal); the seeds are dots beside it, and under tune: the value each arm is reported at is written
beside its point.

Reads OUTPUT_DIR/results.h5 and the reported trials' files (their ablation
axes). Usage: scaling_lines.py OUTPUT_DIR --x AXIS [--lines AXIS]
[--panels AXIS] [--metric eval_accuracy] [--out FILE.png]"""
import argparse
import textwrap
import os
import sys

from common import (arms, attnlab_files, fail, mean_interval, np, plots_folder, plt, read,
                    results, save, trials_by_arm)
from matplotlib.transforms import ScaledTranslation  # after common: it names a missing package


def arm_axes(labels, seeds):
    """{arm: {axis: value text}} of every arm with a reported trial (its file's /axes); an
    arm without one is named on stderr and left out."""
    axes = {}
    for arm in labels:
        if seeds.get(arm):
            axes[arm] = seeds[arm][0].axes
        else:
            print(f"{os.path.basename(sys.argv[0])}: left out arm '{arm}': no finished trial",
                  file=sys.stderr)
    return axes


def carried_by(axis, drawn, axes):
    """The drawn axis whose every value goes with one value of `axis` (a zip: moving
    together, e.g. model.layers with model.d_model), or None."""
    for chosen in drawn:
        paired = {}
        if all(paired.setdefault(values[chosen], values.get(axis)) == values.get(axis)
               for values in axes.values()):
            return chosen
    return None


def check_axes(axes, args):
    """Refuses axes no arm has, an x that is not a number, and an axis that varies among
    the arms without being drawn and without moving with a drawn one (its arms would be
    joined into one line). Returns {drawn axis: [the axes that move with it]}."""
    chosen = [a for a in (args.x, args.lines, args.panels) if a]
    if len(set(chosen)) != len(chosen):
        fail(f"--x, --lines and --panels must name different axes; got {', '.join(chosen)}")
    present = sorted({key for values in axes.values() for key in values})
    for option, axis in (("--x", args.x), ("--lines", args.lines), ("--panels", args.panels)):
        if axis and any(axis not in values for values in axes.values()):
            fail(f"{option} {axis}: not an ablation axis of every arm; the arms' axes are: "
                 f"{', '.join(present) or 'none'}")
    for arm, values in axes.items():
        try:
            float(values[args.x])
        except ValueError:
            fail(f"--x {args.x}: arm '{arm}' has the value '{values[args.x]}', not a number; "
                 "the x axis must be numeric (draw a text axis with --lines or --panels)")
    carried = {axis: [] for axis in chosen}
    for axis in present:
        if axis not in chosen and len({values.get(axis) for values in axes.values()}) > 1:
            with_axis = carried_by(axis, chosen, axes)
            if with_axis is None:
                fail(f"the arms differ in {axis} too, which would join them into one line: name "
                     "it with --lines or --panels")
            carried[with_axis].append(axis)
    return carried


def tuned_values(index):
    """{arm: selected value text} under tune:, else {}."""
    if "tuned" not in index["arms"]:
        return {}
    selected = index["arms"]["tuned"].attrs["selected"]
    return {arm: attnlab_files.text_of(value) for arm, value in zip(arms(index), selected)}


def draw_panel(ax, rows, args, seeds, tuned, line_order, x_label):
    """One panel: a line per --lines value through its arms in x order, each line in the
    same colour and at the same side offset in every panel (line_order: every line).
    Returns every y value drawn: shifted artists take no part in autoscaling."""
    drawn = []
    lines = {}
    for row in rows:
        lines.setdefault(row["line"], []).append(row)
    for line, points in lines.items():
        n = line_order.index(line)
        colour = f"C{n % 10}"
        # Side by side at each x, shifted in points on the page (whatever the x scale).
        side = (n - (len(line_order) - 1) / 2) * 6
        shift = ax.transData + ScaledTranslation(side / 72, 0, ax.figure.dpi_scale_trans)
        seed_shift = ax.transData + ScaledTranslation((side + 3) / 72, 0,
                                                      ax.figure.dpi_scale_trans)
        points.sort(key=lambda p: p["x"])
        x = np.array([p["x"] for p in points])
        mean = np.array([p["mean"] for p in points])
        ax.plot(x, mean, "-o", color=colour, transform=shift, label=line or args.metric)
        for p in points:
            if np.isfinite(p["low"]):  # no bar where there is no interval (one seed, or all equal)
                ax.plot([p["x"], p["x"]], [p["low"], p["high"]], "-_", color=colour,
                        transform=shift, markersize=6)
            values = [t.figures()[args.metric] for t in seeds[p["arm"]]
                      if args.metric in t.figures()]
            drawn += values + [p["mean"], p["low"], p["high"]]
            ax.plot(np.full(len(values), p["x"]), values, ".", color=colour, alpha=0.5,
                    markersize=4, transform=seed_shift)
            if tuned.get(p["arm"]):
                ax.annotate(tuned[p["arm"]], (p["x"], p["mean"]), xycoords=shift,
                            textcoords="offset points", xytext=(5, -10), fontsize=6,
                            color=colour)
    xs = sorted({r["x"] for r in rows})
    if min(xs) > 0 and max(xs) / min(xs) >= 4:
        ax.set_xscale("log", base=2)
        ax.set_xlim(xs[0] / 1.25, xs[-1] * 1.25)
    else:  # the shifted artists do not take part in autoscaling: room for them by hand
        span = (xs[-1] - xs[0]) or 1.0
        ax.set_xlim(xs[0] - 0.15 * span, xs[-1] + 0.15 * span)
    ax.set_xticks(xs, [f"{v:g}" for v in xs])
    ax.minorticks_off()
    ax.set_xlabel(x_label, fontsize=8)
    ax.legend(fontsize=7, title=args.lines, title_fontsize=7, loc="best")
    return drawn


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--x", required=True, help="a numeric ablation axis")
    parser.add_argument("--lines", help="an ablation axis: one line per value")
    parser.add_argument("--panels", help="an ablation axis: one panel per value")
    parser.add_argument("--metric", default="eval_accuracy")
    parser.add_argument("--out")
    args = parser.parse_args()
    out = args.out or os.path.join(plots_folder(args.output_dir),
                                   f"scaling_{args.metric}_{args.x}.png")
    with results(args.output_dir) as index:
        if args.metric not in index["arms"]:
            fail(f"--metric {args.metric}: results.h5 has no such figure")
        labels = arms(index)
        seeds = trials_by_arm(args.output_dir)
        axes = arm_axes(labels, seeds)
        if not axes:
            fail(f"{args.output_dir}: no finished trial, so no arm to draw")
        carried = check_axes(axes, args)
        figure_data = index["arms"][args.metric]
        mean = read(figure_data["mean"])
        low, high, interval_label = mean_interval(figure_data)
        rows = [{"arm": arm, "x": float(axes[arm][args.x]), "mean": mean[a], "low": low[a],
                 "high": high[a], "line": axes[arm].get(args.lines, ""),
                 "panel": axes[arm].get(args.panels, "")}
                for a, arm in enumerate(labels) if arm in axes]
        panels = list(dict.fromkeys(r["panel"] for r in rows))
        figure, panel_axes = plt.subplots(1, len(panels), figsize=(1 + 4 * len(panels), 4.5),
                                          sharey=True, squeeze=False)
        tuned = tuned_values(index)
        x_label = args.x + (f" ({' and '.join(carried[args.x])} move with it)"
                            if carried[args.x] else "")
        line_order = list(dict.fromkeys(r["line"] for r in rows))
        drawn = []
        for ax, panel in zip(panel_axes[0], panels):
            drawn += draw_panel(ax, [r for r in rows if r["panel"] == panel], args, seeds, tuned,
                       line_order, x_label)
            if args.panels:
                ax.set_title(f"{args.panels}={panel}", fontsize=9)
        panel_axes[0][0].set_ylabel(args.metric)
        meaning = attnlab_files.figure_meaning(index, args.metric)
        if np.isfinite(meaning.low) and np.isfinite(meaning.high):  # a fraction's whole range
            panel_axes[0][0].set_ylim(meaning.low - 0.03 * (meaning.high - meaning.low),
                                      meaning.high + 0.03 * (meaning.high - meaning.low))
        else:  # an unbounded figure (a loss): what was drawn
            finite = np.array([v for v in drawn if np.isfinite(v)])
            if finite.size:
                margin = 0.05 * ((finite.max() - finite.min()) or abs(finite.max()) or 1.0)
                panel_axes[0][0].set_ylim(finite.min() - margin, finite.max() + margin)
        note = (f", beside each point the {attnlab_files.text_of(index['arms']['tuned'].attrs['key'])}"
                " it is reported at") if tuned else ""
        title = (f"{index.attrs['experiment']}: mean over seeds with its {interval_label}, "
                 f"dots the seeds{note}")
        # Wrapped to the figure's width: a one-panel figure is narrow.
        figure.suptitle(textwrap.fill(title, width=int(figure.get_figwidth() * 15)), fontsize=9)
        figure.tight_layout()
        save(figure, out)


if __name__ == "__main__":
    main()
