#!/usr/bin/python3
"""How sharply an encoder-decoder's cross-attention aligns output with input.

    /usr/bin/python3 analysis/cross_attention.py RUN_DIR --expect reverse|copy [--map ARM]

For every finished trial of RUN_DIR that recorded
`decoder.layers.*.cross_attn.weights` (record.tensors), and every layer and
head: the mean attention weight that a scored output position puts on the
source token it must produce (for `reverse`, output i of an n-token source
comes from source position n - 1 - i; for `copy`, from position i), over the
recorded examples. 1 is a perfect alignment; uniform attention over n tokens
gives 1/n. Prints, per arm, each layer's best head as mean over seeds [min,
max], and with --map ARM the weights of that arm's first seed, best head of
its last layer, for the first recorded example (rows: outputs, columns:
source positions, each weight in tenths rounded down: 0-9, and # for 0.95
or more).
"""
import argparse
import collections
import sys

import numpy

import attnlab_files


def expected_source(expect, position, length):
    return length - 1 - position if expect == "reverse" else position


def recorded_layers(trial):
    """The decoder layers whose cross-attention weights the last snapshot holds."""
    steps = trial.snapshots()
    if not steps:
        return []
    layers = trial.file.get(f"{attnlab_files.snapshot_group(steps[-1])}/decoder/layers", {})
    return sorted((int(name) for name in layers if "cross_attn/weights" in layers[name]))


def alignments(trial, expect):
    """{layer: [alignment of head h]} and {layer: weights} of one trial, or None."""
    layers = recorded_layers(trial)
    if not layers:
        return None
    inputs = trial.inputs()
    targets = inputs["targets"]
    source = inputs["source"]
    lengths = inputs.get("source_lengths", numpy.full(source.shape[0], source.shape[1]))
    result, maps = {}, {}
    for layer in layers:
        name = str(layer)
        # [example, head, query, key]
        weights, _ = trial.activation(f"decoder.layers.{layer}.cross_attn.weights")
        if weights.shape[3] == 1:  # model.memory: mean: one key, nothing to align
            continue
        per_head = []
        for head in range(weights.shape[1]):
            mass = [weights[e, head, t, expected_source(expect, t, lengths[e])]
                    for e in range(weights.shape[0]) for t in range(targets.shape[1])
                    if targets[e, t] != -100 and expected_source(expect, t, lengths[e]) >= 0]
            per_head.append(float(numpy.mean(mass)))
        result[int(name)], maps[int(name)] = per_head, weights
    return (result, maps, lengths, targets) if result else None


def draw(weights, length, targets):
    rows = []
    for t in range(weights.shape[0]):
        if targets[t] == -100:
            continue
        cells = "".join("#" if w >= 0.95 else str(int(w * 10)) for w in weights[t, :length])
        rows.append(f"  output {t}: {cells}")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--expect", required=True, choices=["reverse", "copy"],
                        help="which source position each output comes from")
    parser.add_argument("--map", metavar="ARM", help="draw the weights of one arm")
    args = parser.parse_args()
    try:
        trials, left_out = attnlab_files.OutputDir(args.run).finished_trials()
    except attnlab_files.FileError as error:
        sys.exit(f"cross_attention.py: {error}")
    for trial_id, reason in left_out:
        print(f"left out trial {trial_id}: {reason}", file=sys.stderr)
    by_arm = collections.defaultdict(list)
    drawn = None
    for trial in trials:
        with trial.file:
            try:
                found = alignments(trial, args.expect)
            except attnlab_files.FileError as error:
                sys.exit(f"cross_attention.py: {error}")
        if found is None:
            continue
        by_arm[trial.arm].append(found[0])
        if args.map == trial.arm and drawn is None:
            result, maps, lengths, targets = found
            last = max(result)
            head = int(numpy.argmax(result[last]))
            drawn = (trial.seed, last, head,
                     draw(maps[last][0, head], int(lengths[0]), targets[0]))
    if not by_arm:
        sys.exit(f"{args.run}: no finished trial recorded decoder.layers.*.cross_attn.weights "
                 "over more than one key")
    if args.map and drawn is None:
        sys.exit(f"--map: no arm '{args.map}' with recorded weights; arms: {', '.join(by_arm)}")
    print(f"mean weight on the source token each output must {args.expect} "
          "(1 = exact alignment), best head per layer, over seeds: mean [min, max]")
    for arm, seeds in by_arm.items():
        for layer in sorted(seeds[0]):
            best = [max(s[layer]) for s in seeds]
            heads = [int(numpy.argmax(s[layer])) for s in seeds]
            print(f"{arm}  layer {layer}: {numpy.mean(best):.3f} [{min(best):.3f}, "
                  f"{max(best):.3f}] over {len(seeds)} seeds (best head by seed: "
                  f"{', '.join(map(str, heads))})")
    if drawn:
        seed, layer, head, picture = drawn
        print(f"\n{args.map}, seed {seed}, layer {layer}, head {head}, recorded example 0 "
              "(columns: source positions):")
        print(picture)


if __name__ == "__main__":
    main()
