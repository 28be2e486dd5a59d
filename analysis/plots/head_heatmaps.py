"""What each head is, per arm: layer x head heatmaps of the previous-token,
duplicate-token and induction detectors and, when 'attnlab ablate' has run,
of each head's normalised importance; one row per seed (heads are not the
same heads across seeds).

Reads OUTPUT_DIR/analysis/head_metrics.h5 ('attnlab analyze') and, if
present, analysis/head_ablation.h5 ('attnlab ablate').
Usage: head_heatmaps.py OUTPUT_DIR [--arm LABEL] [--out DIR]"""
import argparse
import os

from common import (analysis_file, arms, attnlab_files, fail, model_order, np, plots_folder, plt,
                    read, results, save)

DETECTORS = [("previous_token_score", "previous-token"), ("duplicate_token_score", "duplicate-token"),
             ("induction_score", "induction")]


def self_attention_modules(group, prefix=""):
    """Every self-attention module group, as (dotted name, group), in model order."""
    found = []
    for key, item in group.items():
        if hasattr(item, "items"):
            name = f"{prefix}{key}"
            if key == "self_attn":
                found.append((name, item))
            else:
                found += self_attention_modules(item, name + ".")
    return sorted(found, key=lambda module: model_order(module[0]))


def grid(group, figure_name):
    """[layer, head] of one figure over the trial's self-attention modules."""
    modules = self_attention_modules(group)
    heads = max(len(m[figure_name]) for _, m in modules)
    values = np.full((len(modules), heads), np.nan)
    for i, (_, module) in enumerate(modules):
        values[i, : len(module[figure_name])] = read(module[figure_name])
    return [name for name, _ in modules], values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--arm", help="one arm (default: every arm)")
    parser.add_argument("--out", help="folder for the PNGs (default OUTPUT_DIR/analysis/plots)")
    parser.add_argument("--no-importance", action="store_true",
                        help="leave out the importance even if analysis/head_ablation.h5 exists")
    args = parser.parse_args()
    out = args.out or plots_folder(args.output_dir)
    ablation_path = attnlab_files.path_in(args.output_dir, "head_ablation_h5")
    with results(args.output_dir) as index, analysis_file(args.output_dir, "head_metrics",
                                                          "analyze") as metrics:
        labels = arms(index)
        if args.arm and args.arm not in labels:
            fail(f"--arm {args.arm}: no such arm; the arms are: {' | '.join(labels)}")
        ablation = (analysis_file(args.output_dir, "head_ablation", "ablate")
                    if os.path.exists(ablation_path) and not args.no_importance else None)
        panels = DETECTORS + ([("normalised_importance", "importance (ablate)")] if ablation else [])
        for arm in [args.arm] if args.arm else labels:
            number = labels.index(arm)
            tids = sorted((t for t in metrics["trials"] if metrics["trials"][t].attrs["arm"] == arm),
                          key=lambda t: int(metrics["trials"][t].attrs["seed"]))
            if not tids:
                continue
            first = metrics["trials"][tids[0]]
            layers = len(self_attention_modules(first))
            heads = grid(first, DETECTORS[0][0])[1].shape[1]
            panel_width = max(2.8, 0.4 * heads + 0.8)  # room for a column per head
            figure, axes = plt.subplots(
                len(tids), len(panels), squeeze=False,
                figsize=(panel_width * len(panels) + 1.2,
                         1.0 + (0.45 * layers + 0.6) * len(tids)))
            for r, tid in enumerate(tids):
                for c, (name, title) in enumerate(panels):
                    source = ablation["trials"] if name == "normalised_importance" else metrics["trials"]
                    ax = axes[r][c]
                    if tid not in source:
                        ax.axis("off")
                        continue
                    modules, values = grid(source[tid], name)
                    image = ax.imshow(values, vmin=0, vmax=1, cmap="magma", aspect="auto")
                    ax.set_xticks(range(values.shape[1]), [str(h) for h in range(values.shape[1])],
                                  fontsize=7)
                    ax.set_yticks(range(len(modules)), [m.split(".")[0][0] + m.split(".")[2]
                                                         for m in modules], fontsize=7)
                    for (i, j), v in np.ndenumerate(values):
                        if not np.isnan(v) and values.shape[1] <= 8:  # legible only then
                            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                                    color="white" if v < 0.6 else "black")
                    if r == 0:
                        ax.set_title(title, fontsize=9)
                    if r == len(tids) - 1:
                        ax.set_xlabel("head", fontsize=8)
                    if c == 0:
                        seed = metrics["trials"][tid].attrs["seed"]
                        ax.set_ylabel(f"seed {seed}\nlayer", fontsize=8)
            figure.colorbar(image, ax=axes, shrink=0.8)
            figure.suptitle(f"{arm}: heads by layer (d = decoder, e = encoder layer index)",
                            fontsize=10)
            safe = "".join(ch if ch.isalnum() or ch in "=.-" else "_" for ch in arm)
            save(figure, os.path.join(out, f"heads_{number:02d}_{safe}.png"))  # unique per arm
        if ablation:
            ablation.close()


if __name__ == "__main__":
    main()
