"""Attention heatmaps of one trial: a figure per attention module, one panel
per head, queries down and keys across, token labels on both axes.

Reads OUTPUT_DIR/analysis/head_metrics.h5 ('attnlab analyze OUTPUT_DIR'
writes it, with the first examples' weights, whatever the run recorded).
Usage: attention_heatmaps.py OUTPUT_DIR [--trial ID] [--example N] [--out DIR]
(default: the first trial of the plan's first arm, example 0, OUTPUT_DIR/analysis/plots/)."""
import argparse
import os

from common import (analysis_file, fail, model_order, plots_folder, plt, read, results, save,
                    token_labels)


def modules_of(group, prefix=""):
    """Every module group holding weights, as (dotted name, group), in model order."""
    found = []
    for key, item in group.items():
        if key == "weights":
            found.append((prefix.rstrip("."), group))
        elif hasattr(item, "items"):
            found += modules_of(item, f"{prefix}{key}.")
    return sorted(found, key=lambda module: model_order(module[0]))


def plot_module(name, module, example, tokens, title):
    weights = read(module["weights"])[example]  # [head, query, key]
    heads, queries, keys = weights.shape
    q_len = int(read(module["query_lengths"])[example]) if "query_lengths" in module else queries
    k_len = int(read(module["key_lengths"])[example]) if "key_lengths" in module else keys
    weights = weights[:, :q_len, :k_len]
    columns = min(heads, 4)
    rows = (heads + columns - 1) // columns
    side = max(2.6, 0.22 * max(q_len, k_len) + 1.2)
    figure, axes = plt.subplots(rows, columns, figsize=(side * columns, side * rows + 0.6),
                                squeeze=False)
    q_labels = (token_labels(read(module["query_tokens"])[example][:q_len], tokens)
                if "query_tokens" in module else [str(i) for i in range(q_len)])
    k_labels = (token_labels(read(module["key_tokens"])[example][:k_len], tokens)
                if "key_tokens" in module else [str(j) for j in range(k_len)])
    for h in range(rows * columns):
        ax = axes[h // columns][h % columns]
        if h >= heads:
            ax.axis("off")
            continue
        image = ax.imshow(weights[h], vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"head {h}", fontsize=9)
        ax.set_xticks(range(k_len), k_labels, fontsize=7, rotation=90)
        ax.set_yticks(range(q_len), q_labels, fontsize=7)
        ax.set_xlabel("key (attended to)", fontsize=8)
        ax.set_ylabel("query (attending)", fontsize=8)
    figure.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    figure.suptitle(f"{title}\n{name}, example {example}", fontsize=10)
    return figure


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--trial", help="trial id (default: the first of the first arm)")
    parser.add_argument("--example", type=int, default=0)
    parser.add_argument("--out", help="folder for the PNGs (default OUTPUT_DIR/analysis/plots)")
    args = parser.parse_args()
    out = args.out or plots_folder(args.output_dir)
    with results(args.output_dir) as index, analysis_file(args.output_dir, "head_metrics",
                                                          "analyze") as metrics:
        trials = metrics["trials"]
        tid = args.trial
        if tid is None:
            arms = [str(a) for a in index["arms"].attrs["labels"]]
            ordered = sorted(trials, key=lambda t: (arms.index(trials[t].attrs["arm"]),
                                                    int(trials[t].attrs["seed"])))
            tid = ordered[0]
        if tid not in trials:
            fail(f"trial {tid} is not in {metrics.filename}; it has: {', '.join(trials)}")
        group = trials[tid]
        shown = modules_of(group)[0][1]["weights"].shape[0]
        if not 0 <= args.example < shown:
            fail(f"--example {args.example}: {metrics.filename} keeps examples 0 to {shown - 1}")
        tokens = str(group.attrs.get("tokens", "ids"))
        title = f"{group.attrs['arm']}, seed {group.attrs['seed']} (trial {tid})"
        for name, module in modules_of(group):
            save(plot_module(name, module, args.example, tokens, title),
                 os.path.join(out, f"attention_{tid}_{name}_example{args.example}.png"))


if __name__ == "__main__":
    main()
