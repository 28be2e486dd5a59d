"""attnlab.torch_model on real runs: every exported model, rebuilt as a plain
torch.nn.Module from its config.json and model.safetensors alone, computes the
logits attnlab recorded for the same inputs to 1e-5 (all three architectures,
every built-in positional encoding, every head layout, pre/post norm, relu/gelu,
ffn 0, decoder_mask none, memory mean, randomized positions, a per-sequence
readout and a padded task); a module trained a few steps in torch and saved
imports into attnlab bit for bit; unsupported variants and incomplete weights
are refused by name.
Usage: /usr/bin/python3 tests/io/check_torch_model.py ATTNLAB REPO_ROOT [-v]"""
import csv
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

import h5py
import numpy as np
import torch

attnlab, root = sys.argv[1], sys.argv[2]
verbose = "-v" in sys.argv[3:]
sys.path.insert(0, os.path.join(root, "python"))
from attnlab import torch_model  # noqa: E402

TOLERANCE = 1e-5
KINDS = "[none, sinusoidal, learned, rope, p_rope, xpos, alibi, t5_bias, fire, kerple_log]"
COMMON = """model: {{architecture: {arch}, d_model: 16, layers: 2, ffn: 32}}
heads: {{count: 4}}
task: {task}
train: {{steps: 3, warmup: 1, batch: 8}}
eval: {{every: 0, batches: 1}}
record: {{tensors: [logits], examples: 4}}
seeds: 1
"""
VARIANTS = """  - name: mqa-xpos
    set: {heads: {layout: mqa}, positional: {kind: xpos}}
  - name: gqa-alibi
    set: {heads: {layout: gqa, groups: 2}, positional: {kind: alibi}}
  - name: mla-rope
    set: {heads: {layout: mla, latent: 6}, positional: {kind: rope}}
  - name: mla-default-latent-t5
    set: {heads: {layout: mla}, positional: {kind: t5_bias, buckets: 8, max_distance: 16}}
  # 5 pairs x 0.5 = 2.5: attnlab rounds half away from zero (3 pairs turned)
  - name: fixed-width-p_rope
    set: {heads: {layout: mha, width: fixed, head_dim: 10}, positional: {kind: p_rope, fraction: 0.5}}
  - name: post-gelu-rope
    set: {model: {norm: post, activation: gelu}, positional: {kind: rope}}
  - name: post-relu-fire
    set: {model: {norm: post}, positional: {kind: fire, hidden: 8, threshold: 2}}
  - name: ffn0-learned
    set: {model.ffn: 0, positional.kind: learned}
  - name: ffn0-post-kerple
    set: {model: {ffn: 0, norm: post}, positional.kind: kerple_log}
  - name: 3heads-alibi
    set: {heads: {count: 3, width: fixed, head_dim: 4}, positional.kind: alibi}
  - name: 6heads-gqa-alibi
    set: {heads: {count: 6, width: fixed, head_dim: 4, layout: gqa, groups: 3}, positional.kind: alibi}
"""
RANDOMIZED = """  - name: randomized-rope
    set: {{positional: {{kind: rope, randomized: 40}}{task}}}
  - name: randomized-learned
    set: {{positional: {{kind: learned, randomized: 40}}{task}}}
"""
EXPERIMENTS = {
    # decoder-only: reverse, every encoding, every layout, the mask's ablation, a padded task
    "decoder": COMMON.format(arch="decoder", task="{name: reverse, symbols: 6, length: 5}")
    + "ablation:\n  - grid: {positional.kind: " + KINDS + "}\n" + VARIANTS + RANDOMIZED.format(task="")
    + """  - name: nomask-alibi-3heads
    set: {model.decoder_mask: none, heads: {count: 3, width: fixed, head_dim: 4}, positional.kind: alibi}
  - name: nomask-t5
    set: {model.decoder_mask: none, positional: {kind: t5_bias, buckets: 8, max_distance: 8}}
  - name: nomask-fire
    set: {model.decoder_mask: none, positional: {kind: fire, threshold: 3}}
  - name: variable-length-xpos
    set: {task: {name: variable_length, symbols: 6, length: 6}, positional.kind: xpos}
""",
    # encoder, one label per token
    "encoder": COMMON.format(arch="encoder", task="{name: reverse, symbols: 6, length: 6}")
    + "ablation:\n  - grid: {positional.kind: " + KINDS + "}\n" + VARIANTS
    + RANDOMIZED.format(task=""),
    # encoder, one label per sequence (order declares sequence_labels)
    "encoder_order": COMMON.format(arch="encoder", task="{name: order, fillers: 5, length: 7}")
    + "ablation:\n  - grid: {positional.kind: [sinusoidal, alibi, rope]}\n"
    + "  - name: order-mla-post\n    set: {heads: {layout: mla}, model: {norm: post}}\n",
    # encoder-decoder on a padded task (source_lengths recorded)
    "encoder_decoder": COMMON.format(arch="encoder_decoder",
                                     task="{name: variable_length, symbols: 6, length: 6}")
    + "ablation:\n  - grid: {positional.kind: " + KINDS + "}\n" + VARIANTS
    # randomized positions need unpadded batches: copy
    + RANDOMIZED.format(task=", task: {name: copy, symbols: 6, length: 5}")
    + """  - name: memory-mean
    set: {model.memory: mean}
  - name: memory-mean-mla-alibi
    set: {model.memory: mean, heads: {layout: mla}, positional.kind: alibi}
  - name: nomask-t5-copy
    set: {model.decoder_mask: none, positional: {kind: t5_bias, buckets: 8, max_distance: 8},
          task: {name: copy, symbols: 6, length: 5}}
  - name: copy-unpadded-gqa
    set: {task: {name: copy, symbols: 6, length: 5}, heads: {layout: gqa, groups: 4}}
""",
}

failures = []


def torch_format_differs(trial, safetensors_folder):
    """`attnlab export --format torch` writes what torch.save would: a zip whose entries
    pass their CRC checks, data aligned to 64 bytes, and a state dict torch.load reads with
    weights_only=True holding the safetensors export's tensors bit for bit, in order, which
    torch_model.load builds the same module from."""
    folder = safetensors_folder + "-torch"
    run("export", trial, "--output", folder, "--format", "torch")
    path = os.path.join(folder, "pytorch_model.bin")
    with zipfile.ZipFile(path) as archive:
        if archive.testzip() is not None:
            fail(f"{path}: a zip entry fails its CRC")
        with open(path, "rb") as raw:
            for info in archive.infolist():
                raw.seek(info.header_offset + 26)
                name_length, extra_length = struct.unpack("<HH", raw.read(4))
                if (info.header_offset + 30 + name_length + extra_length) % 64:
                    fail(f"{path}: {info.filename}'s data is not 64-byte aligned")
    state = torch.load(path, map_location="cpu", weights_only=True)
    expected = torch_model.read_safetensors(os.path.join(safetensors_folder, "model.safetensors"))[0]
    if list(state) != list(expected):
        fail(f"{path}: names {list(state)[:3]}... differ from the safetensors' {list(expected)[:3]}...")
    for name, tensor in expected.items():
        got = state.get(name)
        if got is None or got.dtype != torch.float32 or got.shape != tensor.shape or \
                not got.is_contiguous() or not torch.equal(got, tensor):
            fail(f"{path}: {name} differs from the safetensors export")
    rebuilt = torch_model.load(folder).state_dict()
    if any(not torch.equal(rebuilt[n], t) for n, t in torch_model.load(safetensors_folder).state_dict().items()):
        fail(f"{folder}: torch_model.load builds another module from it")


def fail(message):
    failures.append(message)
    print("FAIL:", message, file=sys.stderr)


def run(*arguments):
    result = subprocess.run([attnlab, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"check_torch_model: attnlab {' '.join(arguments)} exited "
                         f"{result.returncode}:\n{result.stderr}")
    return result.stdout


def recorded(trial_path):
    """(inputs {name: array}, logits array) of a trial file's last recording."""
    with h5py.File(trial_path) as f:
        inputs = {name: f["activations/inputs"][name][()] for name in
                  ("source", "source_lengths", "target_input") if name in f["activations/inputs"]}
        last = sorted(k for k in f["activations"] if k.startswith("step_"))[-1]
        logits = f[f"activations/{last}/logits"]
        dims = [d.decode() if isinstance(d, bytes) else str(d) for d in logits.attrs["dims"]]
        return inputs, logits[()], dims


def torch_logits(module, inputs, architecture):
    with torch.no_grad():
        if architecture == "decoder":
            return module(torch.from_numpy(inputs["target_input"]))
        lengths = inputs.get("source_lengths")
        lengths = None if lengths is None else torch.from_numpy(lengths)
        if architecture == "encoder":
            return module(torch.from_numpy(inputs["source"]), lengths)
        return module(torch.from_numpy(inputs["source"]),
                      torch.from_numpy(inputs["target_input"]), lengths)


def main():
    started = time.time()
    work = tempfile.mkdtemp(prefix="check_torch_model.")
    try:
        checked = []  # (experiment, arm, config, worst difference)
        exported_folders = {}
        saw_lengths = saw_sequence_readout = False
        for name, text in EXPERIMENTS.items():
            experiment = os.path.join(work, f"{name}.yaml")
            with open(experiment, "w") as f:
                f.write(text)
            output = os.path.join(work, "runs", name)
            run("run", experiment, "-q", "-o", f"output={output}")
            with open(os.path.join(output, "trials.csv")) as f:
                rows = list(csv.DictReader(f))
            for row in rows:
                trial = os.path.join(output, "trials", f"{row['id']}.h5")
                if not os.path.exists(trial):
                    fail(f"{name}/{row['arm']}: trial {row['id']} did not finish "
                         f"(status {row.get('status')})")
                    continue
                folder = os.path.join(work, "exported", name, row["arm"])
                run("export", trial, "--output", folder)
                module = torch_model.load(folder)
                with open(os.path.join(folder, "config.json")) as f:
                    config = json.load(f)["config"]
                if sorted(module.state_dict()) != sorted(
                        torch_model.read_safetensors(os.path.join(folder, "model.safetensors"))[0]):
                    fail(f"{name}/{row['arm']}: state_dict keys differ from the safetensors names")
                inputs, expected, dims = recorded(trial)
                saw_lengths |= "source_lengths" in inputs
                saw_sequence_readout |= dims == ["example", "output"]
                got = torch_logits(module, inputs, config["model"]["architecture"]).numpy()
                if got.shape != expected.shape:
                    fail(f"{name}/{row['arm']}: logits of shape {got.shape}, attnlab recorded "
                         f"{expected.shape} ({dims})")
                    continue
                worst = float(np.abs(got.astype(np.float64) - expected).max())
                checked.append((name, row["arm"], config, worst))
                exported_folders[(name, row["arm"])] = (folder, trial)
                torch_format_differs(trial, folder)
                if worst > TOLERANCE or not np.isfinite(worst):
                    fail(f"{name}/{row['arm']} (positional {config['positional']['kind']}, "
                         f"layout {config['heads']['layout']}): max |torch - attnlab| = "
                         f"{worst:.3g} > {TOLERANCE}")
        if not saw_lengths:
            fail("no trial recorded source_lengths: the padded case went untested")
        if not saw_sequence_readout:
            fail("no trial had a per-sequence readout")
        kinds = {c["positional"]["kind"] for _, _, c, _ in checked}
        layouts = {c["heads"]["layout"] for _, _, c, _ in checked}
        architectures = {c["model"]["architecture"] for _, _, c, _ in checked}
        for wanted, got, what in ((set(KINDS.strip("[]").split(", ")), kinds, "positional kinds"),
                                  ({"mha", "mqa", "gqa", "mla"}, layouts, "head layouts"),
                                  ({"decoder", "encoder", "encoder_decoder"}, architectures,
                                   "architectures")):
            if wanted - got:
                fail(f"{what} never checked: {sorted(wanted - got)}")
        if verbose:
            for experiment, arm, config, worst in checked:
                print(f"{experiment:16s} {arm:44s} {config['positional']['kind']:10s} "
                      f"{config['heads']['layout']:4s} {worst:.3g}")
            for label, key in (("architecture", lambda c: c["model"]["architecture"]),
                               ("positional", lambda c: c["positional"]["kind"]),
                               ("layout", lambda c: c["heads"]["layout"])):
                worst_by = {}
                for _, _, config, worst in checked:
                    worst_by[key(config)] = max(worst_by.get(key(config), 0.0), worst)
                print(f"worst by {label}: " + ", ".join(f"{k} {v:.2g}"
                                                       for k, v in sorted(worst_by.items())))

        # attnlab generate (greedy, with its key/value cache) continues a prompt as the torch
        # module does when it recomputes every step from the whole prefix.
        generations = 0
        for (name, arm), (folder, trial) in exported_folders.items():
            if name not in ("decoder", "encoder_decoder") or "randomized" in arm or \
                    "nomask" in arm or generations >= 6:
                continue
            module = torch_model.load(folder)
            with h5py.File(trial) as f:
                source = f["activations/inputs/source"][()] if name == "encoder_decoder" else None
                lengths = f["activations/inputs/source_lengths"][()] \
                    if "activations/inputs/source_lengths" in f else None
                target_input = f["activations/inputs/target_input"][()]
            if name == "decoder":
                prompt = [int(t) for t in target_input[0][:3]]
                tokens = torch.tensor([prompt])
            else:
                width = int(lengths[0]) if lengths is not None else source.shape[1]
                prompt = [int(t) for t in source[0][:width]]
                tokens = torch.tensor([[int(target_input[0][0])]])
            steps = 4
            with torch.no_grad():
                for _ in range(steps):
                    logits = module(tokens) if name == "decoder" else \
                        module(torch.tensor([prompt]), tokens)
                    tokens = torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
            expected = [int(t) for t in tokens[0, -steps:]]
            printed = json.loads(run("generate", trial, "--prompt", " ".join(map(str, prompt)),
                                     "--max-tokens", str(steps), "--json"))
            if printed["generated"] != expected:
                fail(f"{name}/{arm}: attnlab generate gave {printed['generated']}, torch's greedy "
                     f"continuation {expected}")
            generations += 1
        if generations < 4:
            fail(f"only {generations} models were generated from")

        # The write-back: train in torch, save, attnlab import, compare bit for bit.
        folder, _ = exported_folders[("encoder_decoder", "mla-rope")]
        module = torch_model.load(folder)
        with h5py.File(exported_folders[("encoder_decoder", "mla-rope")][1]) as f:
            source = torch.from_numpy(f["activations/inputs/source"][()]).long()
            lengths = torch.from_numpy(f["activations/inputs/source_lengths"][()]).long()
            target_input = torch.from_numpy(f["activations/inputs/target_input"][()]).long()
            recorded_targets = torch.from_numpy(f["activations/inputs/targets"][()]).long()
        module.train()
        optimiser = torch.optim.Adam(module.parameters(), lr=1e-2)
        torch.manual_seed(0)
        targets = torch.randint(0, module.lm_head.out_features, target_input.shape)
        before = {n: p.detach().clone() for n, p in module.state_dict().items()}
        for _ in range(3):
            optimiser.zero_grad()
            logits = module(source, target_input, lengths)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     targets.reshape(-1))
            loss.backward()
            optimiser.step()
        module.eval()
        changed = [n for n, p in module.state_dict().items() if not torch.equal(p, before[n])]
        if len(changed) < len(before) // 2:
            fail(f"torch training changed only {len(changed)} of {len(before)} parameters")
        saved = os.path.join(work, "trained")
        torch_model.save(module, saved, os.path.join(folder, "config.json"))
        imported = os.path.join(work, "imported.h5")
        run("import", saved, "--output", imported)
        stored = {}
        with h5py.File(imported) as f:
            f["parameters"].visititems(
                lambda name, item: stored.__setitem__(name.replace("/", "."), item[()])
                if isinstance(item, h5py.Dataset) else None)
        state = module.state_dict()
        if sorted(stored) != sorted(state):
            fail(f"imported checkpoint's parameters {sorted(set(stored) ^ set(state))} differ "
                 f"from the torch state dict's names")
        for name, tensor in state.items():
            if name in stored and (stored[name].dtype != np.float32 or stored[name].tobytes()
                                   != tensor.detach().numpy().astype("<f4").tobytes()):
                fail(f"imported checkpoint's {name} is not the torch value bit for bit")
        figures = json.loads(run("eval", imported, "--json"))["figures"]
        if "eval_loss" not in figures:
            fail(f"attnlab eval of the imported checkpoint gave no eval_loss: {figures}")
        # The loss torch computes on the recorded examples is attnlab's on the same examples.
        with torch.no_grad():
            logits = module(source, target_input, lengths)
            torch_loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), recorded_targets.reshape(-1),
                ignore_index=-100).item()
        on_recorded = json.loads(run("eval", imported, "--recorded-examples", "--json"))["figures"]
        if abs(on_recorded["eval_loss[recorded]"] - torch_loss) > TOLERANCE:
            fail(f"attnlab eval of the torch-trained model on the recorded examples gives loss "
                 f"{on_recorded['eval_loss[recorded]']}, torch {torch_loss}")
        loss_difference = abs(on_recorded["eval_loss[recorded]"] - torch_loss)
        again = torch_model.load(saved)
        with torch.no_grad():
            if not torch.equal(again(source, target_input, lengths),
                               module(source, target_input, lengths)):
                fail("the saved folder, loaded again, gives other logits than the trained module")

        # Refusals: an attention variant not implemented, a missing and a mis-shaped tensor.
        refused = os.path.join(work, "refused")
        shutil.copytree(folder, refused)
        with open(os.path.join(refused, "config.json")) as f:
            exported = json.load(f)
        exported["config"]["attention"] = {"variant": "cosine", "temperature": 10.0,
                                           "learn_temperature": True}
        with open(os.path.join(refused, "config.json"), "w") as f:
            json.dump(exported, f)
        try:
            torch_model.load(refused)
            fail("a config.json with attention.variant cosine was accepted")
        except NotImplementedError as error:
            if "cosine" not in str(error):
                fail(f"the refusal of variant cosine does not name it: {error}")
        tensors, metadata = torch_model.read_safetensors(os.path.join(folder, "model.safetensors"))
        dropped = "decoder.layers.1.cross_attn.kv_down.weight"
        incomplete = os.path.join(work, "incomplete")
        shutil.copytree(folder, incomplete)
        torch_model.write_safetensors(os.path.join(incomplete, "model.safetensors"),
                                      {n: t for n, t in tensors.items() if n != dropped}, metadata)
        try:
            torch_model.load(incomplete)
            fail(f"a safetensors file without {dropped} was accepted")
        except torch_model.WeightsMismatch as error:
            if dropped not in str(error) or "missing" not in str(error):
                fail(f"the refusal of a missing tensor does not name {dropped}: {error}")
        reshaped = dict(tensors)
        reshaped["lm_head.bias"] = torch.zeros(3)
        reshaped["stray.weight"] = torch.zeros(2)
        torch_model.write_safetensors(os.path.join(incomplete, "model.safetensors"), reshaped)
        try:
            torch_model.load(incomplete)
            fail("a safetensors file with a mis-shaped and an extra tensor was accepted")
        except torch_model.WeightsMismatch as error:
            if "lm_head.bias" not in str(error) or "stray.weight" not in str(error):
                fail(f"the refusal does not name lm_head.bias and stray.weight: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if failures:
        raise SystemExit(f"check_torch_model: {len(failures)} failure(s); first: {failures[0]}")
    worst = max(w for _, _, _, w in checked)
    print(f"check_torch_model: {len(checked)} exported models (3 architectures, "
          f"{len(kinds)} positional encodings, {len(layouts)} head layouts) match attnlab's logits "
          f"to {worst:.2g} (<= {TOLERANCE}); attnlab generate continues {generations} prompts as "
          f"torch does; torch-trained weights import bit for bit, and attnlab "
          f"eval gives torch's loss on the recorded examples to {loss_difference:.2g}; refusals "
          f"named ({time.time() - started:.1f} s)")


main()
