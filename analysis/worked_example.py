#!/usr/bin/python3
"""Walk through the study note's multi-head example on a recorded trial.

    /usr/bin/python3 analysis/worked_example.py RUN_DIR [--example E] [--token T]

For the first finished trial of RUN_DIR (an `attnlab run` of
experiments/worked_example.yaml, or any run recording decoder.embed.* and
decoder.layers.0.self_attn.* of a pre-LN decoder with an additive positional
encoding, softmax attention and multi-head layout), token T of recorded
example E, recomputes in NumPy, from the recorded input embeddings and the
saved weights only, every step of the note for the first layer:
  x = token embedding + position, and LN(x) (pre-LN: the block normalises its
    input before attention; the note has no LayerNorm);
  Q = W_Q LN(x) + b_Q (and K, V for every position), split into one slice of
    d_k per head: q_i1, q_i2, ...;
  each head on its own: softmax(q_ih . k_jh / sqrt(d_k)) over the positions
    j <= i (the decoder's causal mask), b_ih = the weighted sum of v_jh;
  concat = b_i1 || b_i2 || ..., output = W_O concat + b_O;
and compares each with what the model recorded (q, head_outputs, concat,
output). Exits non-zero if any recomputed value differs from the recorded one.
"""
import argparse
import sys

import numpy

import attnlab_files

LAYER = "decoder.layers.0"
TOLERANCE = 1e-4  # float32 sums in another order


def first_finished_trial(run):
    """The first finished trial that passes every check (analysis/attnlab_files/)."""
    try:
        trials, left_out = attnlab_files.OutputDir(run).finished_trials()
    except attnlab_files.FileError as error:
        sys.exit(f"worked_example.py: {error}")
    for trial_id, reason in left_out:
        print(f"left out trial {trial_id}: {reason}", file=sys.stderr)
    if not trials:
        sys.exit(f"{run}: no finished trial")
    for extra in trials[1:]:
        extra.file.close()
    return trials[0]


def recorded(trial, name):
    try:
        return trial.activation(name)[0]
    except attnlab_files.FileError as error:
        sys.exit(f"{error}; run with record.tensors ['decoder.embed.*', "
                 "'decoder.layers.0.self_attn.*']")


def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / numpy.sqrt(variance + eps) * weight + bias


def vector(values):
    return "(" + ", ".join(f"{v:+.4f}" for v in values) + ")"


def check(label, computed, stored, failures):
    difference = float(numpy.max(numpy.abs(computed - stored)))
    verdict = "matches" if difference <= TOLERANCE else "DIFFERS"
    print(f"  {label:<34} recomputed {vector(computed)}\n"
          f"  {'':<34} recorded   {vector(stored)}  {verdict} (largest difference {difference:.1e})")
    if difference > TOLERANCE:
        failures.append(label)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--example", type=int, default=0)
    parser.add_argument("--token", type=int, default=0)
    args = parser.parse_args()
    trial = first_finished_trial(args.run)
    path = trial.file.filename
    with trial.file:
        parameter = lambda name: attnlab_files.read_dataset(
            trial.file[attnlab_files.hdf5_path(attnlab_files.TRIAL_FILE_PATHS["parameters"],
                                               f"{LAYER}.{name}")])
        tokens = recorded(trial, "decoder.embed.token_embedding")  # [example, position, feature]
        positions = recorded(trial, "decoder.embed.positional")  # [position, feature]
        q = recorded(trial, f"{LAYER}.self_attn.q")  # [example, head, query, d_k]
        head_outputs = recorded(trial, f"{LAYER}.self_attn.head_outputs")
        concat = recorded(trial, f"{LAYER}.self_attn.concat")
        output = recorded(trial, f"{LAYER}.self_attn.output")
        e, t = args.example, args.token
        if not (0 <= e < tokens.shape[0] and 0 <= t < tokens.shape[1]):
            sys.exit(f"--example {e} --token {t}: recorded are examples 0..{tokens.shape[0] - 1} "
                     f"and tokens 0..{tokens.shape[1] - 1}")
        heads, width = q.shape[1], q.shape[3]
        print(f"{path}: example {e}, token {t}; d_model {tokens.shape[2]} = {heads} heads x "
              f"d_k {width}")
        weight = lambda name: parameter(f"self_attn.{name}.weight")
        bias = lambda name: parameter(f"self_attn.{name}.bias")
        x = tokens[e] + positions[: tokens.shape[1]]  # [position, feature]
        normed = layer_norm(x, parameter("self_attn_norm.weight"), parameter("self_attn_norm.bias"))
        full_q = normed @ weight("q_proj").T + bias("q_proj")  # [position, d_model]
        full_k = normed @ weight("k_proj").T + bias("k_proj")
        full_v = normed @ weight("v_proj").T + bias("v_proj")
        print(f"  input x = token embedding + position   {vector(x[t])}")
        print(f"  Q = W_Q LN(x) + b_Q                     {vector(full_q[t])}")
        failures = []
        outputs = []
        for h in range(heads):
            part = slice(h * width, (h + 1) * width)
            check(f"q_{h + 1} = Q[{h * width}:{(h + 1) * width}] (head {h + 1})",
                  full_q[t, part], q[e, h, t], failures)
            scores = full_k[: t + 1, part] @ full_q[t, part] / numpy.sqrt(width)  # keys j <= t
            attention = numpy.exp(scores - scores.max())
            attention /= attention.sum()
            outputs.append(attention @ full_v[: t + 1, part])
            check(f"b_{h + 1} = softmax(q_{h + 1} k / sqrt(d_k)) v", outputs[-1],
                  head_outputs[e, h, t], failures)
        joined = numpy.concatenate(outputs)
        check("concat = b_1 || ... || b_h", joined, concat[e, t], failures)
        check("output = W_O concat + b_O", weight("o_proj") @ joined + bias("o_proj"),
              output[e, t], failures)
    if failures:
        sys.exit(f"recomputed and recorded values differ: {', '.join(failures)}")
    print("every step of the note's example matches what the model computed")


if __name__ == "__main__":
    main()
