"""attnlab.Model on trials of the run check_run.py left: a forward pass on a
trial's recorded examples recomputes its recorded activations (with the
dimension names the file gives them); arrays cross without copies (the
returned logits are the memory of the cached logits, a capsule owns it, and
state_dict arrays are the live parameters: writing one changes the model);
load_state_dict is strict and all or nothing; head gates remove heads as
MultiHeadAttention documents (every head at 0 leaves W_O's bias) and nothing
changes when they are refused; generate draws what `attnlab generate` draws,
greedily and sampled; and attnlab.torch_model, built from the model's
configuration and state_dict, gives its logits. Usage: check_model.py ATTNLAB OUTPUT_DIR
"""
import json
import subprocess
import sys
import threading
import time

import h5py
import numpy as np
import torch

import attnlab
from expectations import refused
from attnlab import torch_model

attnlab_cli, out = sys.argv[1], sys.argv[2]


run = attnlab.open(out)
trial = run.trials[2]  # heads.count=2, seed 0
assert trial.axes == {"heads.count": "2"}
model = trial.model()
assert isinstance(model, attnlab.Model) and model.path == trial.file and model.kind == "trial"
assert (model.shape, model.task, model.vocab_size, model.readout) == \
    ("decoder", "reverse", 7, "token")
assert model.config == trial.config
assert model.attention_modules == [("decoder.layers.0.self_attn", 2)]

# A forward pass on the recorded examples recomputes the recorded activations.
inputs = trial.recorded_inputs()["target_input"]
logits, cache = model.run_with_cache(inputs, names=["**.weights", "logits", "**.self_attn.output",
                                                    "**.head_outputs"])
# The input: 2 x 5 symbols and the separator, less the last token.
assert logits.shape == (3, 10, 7) and logits.dtype == np.float32
for name in trial.activation_names():
    recorded = trial.activations(name)
    assert name in cache and cache.dims(name) == recorded.dims, name
    assert np.allclose(cache[name], recorded.array, atol=1e-5), name
assert cache.layer("decoder.layers.0.self_attn.weights") == 0 and cache.layer("logits") is None
# ... and so do the parameters of an earlier step (record.parameters) for that step's recording.
early = trial.model(step=40)
assert early.step == 40 and model.step == 80
early_logits, _ = early.run_with_cache(inputs, names=[])
assert np.allclose(early_logits, trial.activations("logits", step=40).array, atol=1e-5)
assert not np.allclose(early_logits, logits)
refused(attnlab.IoError, ["holds no parameters of step 7", "40, 80"], trial.model, step=7)
assert sorted(cache) == sorted(cache.keys()) and len(cache) == 4

# No copies: the logits returned are the tensor cached as "logits", owned by a capsule, read-only.
assert np.shares_memory(logits, cache["logits"]) and np.array_equal(logits, cache["logits"])
assert type(logits.base).__name__ == "PyCapsule" and not logits.flags.writeable
assert np.shares_memory(cache["logits"], cache["logits"])  # each access a view, never a copy
assert [name for name, _ in cache.items()] == list(cache.keys()) == list(cache)
assert np.shares_memory(dict(cache.items())["logits"], logits)
assert cache.get("no.such.tensor") is None and cache.get("no.such.tensor", 7) == 7
assert np.shares_memory(cache.get("logits"), logits)
try:
    logits[0, 0, 0] = 1.0
    raise AssertionError("a cached tensor was writable")
except ValueError:
    pass
del cache
assert np.isfinite(logits).all()  # the capsule keeps the values alive on its own
everything = model.run_with_cache(inputs)[1]
assert {"decoder.embed.token_embedding", "decoder.layers.0.self_attn.q"} <= set(everything)
refused(attnlab.ConfigError, ["'decoder.layers.*.atn.weights' matches no activation",
                              "decoder.layers.0.self_attn.weights"],
        model.run_with_cache, inputs, names=["decoder.layers.*.atn.weights"])
refused(KeyError, ["'nope' is not in this cache"], lambda: everything["nope"])

# state_dict: the live parameters, no copies.
state = model.state_dict()
shapes = {name: values.shape for name, values in state.items()}
assert sorted(state) == sorted(torch_model.build(model.config, shapes, model.readout).state_dict())
bias = state["lm_head.bias"]
assert type(bias.base).__name__ == "PyCapsule" and bias.flags.writeable
assert np.shares_memory(bias, model.state_dict()["lm_head.bias"])
kept = {name: values.copy() for name, values in state.items()}
bias += 5.0  # written through: the model's output moves by exactly that
shifted, _ = model.run_with_cache(inputs, names=[])
assert np.allclose(shifted - logits, 5.0, atol=1e-4), (shifted - logits).max()
model.load_state_dict(kept)
assert np.array_equal(model.run_with_cache(inputs, names=[])[0], logits)

# load_state_dict is strict, and a refused one changes nothing.
missing = {n: v for n, v in kept.items() if n != "lm_head.weight"}
refused(attnlab.ConfigError, ["missing", "lm_head.weight"], model.load_state_dict, missing)
extra = dict(kept, **{"decoder.layers.9.ffn.linear1.weight": np.zeros(2)})
refused(ValueError, ["does not have", "decoder.layers.9.ffn.linear1.weight"],
        model.load_state_dict, extra)
zeros = {n: np.zeros_like(v) for n, v in kept.items()}
zeros["lm_head.bias"] = np.zeros(3)
refused(attnlab.ConfigError, ["of another shape", "lm_head.bias"], model.load_state_dict, zeros)
refused(attnlab.ConfigError, ["dtype <U1"], model.load_state_dict,
        dict(kept, **{"lm_head.bias": ["a"]}))
assert np.array_equal(model.run_with_cache(inputs, names=[])[0], logits)
model.load_state_dict({n: torch.from_numpy(v) for n, v in kept.items()})  # torch tensors too
assert np.array_equal(model.run_with_cache(inputs, names=[])[0], logits)

# Head gates: what MultiHeadAttention documents.
attention = "decoder.layers.0.self_attn"
model.set_head_gates({attention: [1.0, 0.0]})
gated, cache = model.run_with_cache(inputs, names=["**.head_outputs"])
heads = cache[f"{attention}.head_outputs"]
assert (heads[:, 1] == 0).all() and (heads[:, 0] != 0).any()
assert not np.allclose(gated, logits)
assert list(model.head_gates) == [attention] and np.array_equal(model.head_gates[attention], [1, 0])
model.set_head_gates({"**.self_attn": [0, 0]})  # every head removed: W_O's bias alone
_, cache = model.run_with_cache(inputs, names=["**.self_attn.output"])
assert np.allclose(cache[f"{attention}.output"], kept[f"{attention}.o_proj.bias"], atol=1e-6)
refused(attnlab.ConfigError,
        ["'decoder.layers.3.self_attn' matches no attention module", attention],
        model.set_head_gates, {"decoder.layers.3.self_attn": [1, 1]})
refused(attnlab.ConfigError, ["found shape [3], expected [2]"], model.set_head_gates,
        {attention: [1, 1, 1]})
refused(attnlab.ConfigError, ["expected finite numbers"], model.set_head_gates,
        {attention: [1, np.nan]})
assert np.array_equal(model.head_gates[attention], [0, 0])  # refused: unchanged
model.set_head_gates(None)
assert model.head_gates == {} and np.array_equal(model.run_with_cache(inputs, names=[])[0], logits)


# generate: what `attnlab generate` draws, greedy and sampled.
def generated_by_cli(prompt, *options):
    result = subprocess.run(
        [attnlab_cli, "generate", trial.file, "--prompt", prompt, "--json", *options],
        check=True, capture_output=True, text=True)
    return json.loads(result.stdout)["generated"]


prompt = [0, 1, 2, 3, 4, 6]
greedy = model.generate(prompt, max_tokens=5)
assert greedy.dtype == np.int32 and greedy.shape == (5,)
assert greedy.tolist() == generated_by_cli("0 1 2 3 4 6", "--max-tokens", "5")
sampled = model.generate(prompt, max_tokens=12, temperature=1.5, top_k=3, seed=7)
assert sampled.tolist() == generated_by_cli("0 1 2 3 4 6", "--max-tokens", "12", "--temperature",
                                            "1.5", "--top-k", "3", "--seed", "7")
assert model.generate([prompt, prompt], max_tokens=5).tolist() == [greedy.tolist()] * 2
refused(attnlab.ConfigError, ["task 'reverse' takes token ids"], model.generate, "abc")
refused(attnlab.ConfigError, ["max_tokens: found 0"], model.generate, prompt, max_tokens=0)

# attnlab.torch_model from the model's configuration and parameters gives its logits.
module = torch_model.build(model.config, shapes, model.readout)
torch_model.load_weights(module, {name: torch.from_numpy(values.copy())
                                  for name, values in model.state_dict().items()})
with torch.no_grad():
    torch_logits = module.eval()(torch.from_numpy(inputs.astype(np.int64))).numpy()
assert np.allclose(torch_logits, logits, atol=1e-5), np.abs(torch_logits - logits).max()

# Loading checks the file in a forked child: with another thread inside HDF5 through
# h5py at that moment, the child would wait forever for HDF5's lock (300 s, then an
# IoError). attnlab holds h5py's lock across its calls, so loads stay quick.
stop_reading = threading.Event()


other_file = run.trials[0].file  # not the one loaded: see docs/python.md on h5py


def read_with_h5py():
    while not stop_reading.is_set():
        with h5py.File(other_file, "r") as f:
            f.visititems(lambda name, obj: obj[()] if isinstance(obj, h5py.Dataset) else None)


reader = threading.Thread(target=read_with_h5py)
reader.start()
try:
    for _ in range(10):
        started = time.monotonic()
        attnlab.Model.load(trial.file)
        assert time.monotonic() - started < 30, "Model.load waited on HDF5's lock"
finally:
    stop_reading.set()
    reader.join()
print("attnlab.Model: OK")
