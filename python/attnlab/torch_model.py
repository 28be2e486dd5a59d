"""An exported attnlab model rebuilt as a plain torch.nn.Module.

    from attnlab import torch_model
    model = torch_model.load("exported/")          # config.json + model.safetensors (attnlab export)
    logits = model(tokens)                          # decoder:          [B, T] -> [B, T, V]
    logits = model(source, source_lengths)          # encoder:          [B, S] -> [B, S, C] or [B, C]
    logits = model(source, target_input, lengths)   # encoder_decoder:  -> [B, T, V]
    torch_model.save(model, "trained/", "exported/config.json")   # for `attnlab import trained/`

The module is built from config.json's "config" (the trial's resolved attnlab
configuration) and its state_dict() keys are attnlab's dotted parameter names,
so the safetensors file loads strictly: every name, no other, same shapes.
The formulas follow attnlab's C++ (framework/src/model, framework/src/attention,
plugins/positional, plugins/heads, plugins/attention/softmax.cpp):

- LayerNorm eps 1e-5 (TransformerConfig::layer_norm_eps, not a configuration
  key); token embeddings are not scaled by sqrt(D); GELU is the exact erf form.
- A stack's positions are 0, 1, 2, ... or, with positional.randomized = L, an
  increasing random subset of [0, L) drawn as attnlab draws it outside
  training: std::mt19937_64 seeded by seeded_rng(0, "<stack> positions"),
  selection sampling, the same draw for every pass (reproduced here bit for
  bit; attnlab's training passes draw from the trainer's stream instead).
- Rotary encodings (rope, p_rope, xpos) turn adjacent feature pairs (2i, 2i+1)
  of each head's q and k: (a, b) -> (a cos - b sin, b cos + a sin), angle
  position * base^(-2i / d_k); xpos also scales q by zeta_i^(n / scale_base)
  and k by zeta_i^(-m / scale_base). Rotations and score biases act in
  self-attention only; cross-attention sees neither.
- Score biases (alibi, t5_bias, fire, kerple_log) are added to the scaled
  scores q k^T / sqrt(d_k); a decoder's causal flag chooses the causal form
  (alibi: i - j, t5: past-only buckets), otherwise the bidirectional one.
- Masked keys get weight exactly 0 (a row with no visible key is all 0).

Only the `softmax` attention variant is implemented; any other raises
NotImplementedError naming it, as do unknown positional encodings and head
layouts (plugin components).
"""
import json
import os

import torch

from .safetensors_file import read_safetensors, write_safetensors, _write_atomically
from .torch_layers import LAYER_NORM_EPS, DecoderLM, EncoderClassifier, EncoderDecoder
from .torch_positional import SUPPORTED_POSITIONAL, WeightsMismatch

__all__ = ["load", "save", "build", "read_safetensors", "write_safetensors", "WeightsMismatch",
           "LAYER_NORM_EPS"]

_SUPPORTED_VARIANTS = ("softmax",)
_SUPPORTED_LAYOUTS = ("mha", "mqa", "gqa", "mla")


# ----------------------------------------------------------------------------- building

def _head_dimensions(heads_section, d_model):
    """(query heads, kv heads, head width, kv latent) as attnlab's head layouts give them."""
    layout = heads_section.get("layout", "mha")
    if layout not in _SUPPORTED_LAYOUTS:
        raise NotImplementedError(f"head layout '{layout}' is not implemented in "
                                  f"attnlab.torch_model (supported: {', '.join(_SUPPORTED_LAYOUTS)})")
    h = int(heads_section.get("count", 4))
    if h < 1:
        raise ValueError(f"heads.count must be >= 1, got {h}")
    if heads_section.get("width", "split") == "split":
        if d_model % h:
            raise ValueError(f"heads = {h} does not divide d_model = {d_model}")
        width = d_model // h
    else:
        width = int(heads_section.get("head_dim", 0))
        if width < 1:
            raise ValueError(f"head layout '{layout}': width 'fixed' needs head_dim >= 1")
    latent = 0
    if layout == "mha":
        g = h
    elif layout == "mqa":
        g = 1
    elif layout == "gqa":
        g = int(heads_section.get("groups", 2))
        if h % g:
            raise ValueError(f"head layout 'gqa': groups = {g} does not divide heads = {h}")
    else:  # mla
        g = h
        latent = int(heads_section.get("latent", 0)) or d_model // 2
    return (h, g, width, latent)


def build(config, shapes, readout=None):
    """The module (parameters uninitialised) for a resolved attnlab configuration (config.json's
    "config"); `shapes` {name: shape} gives the vocabulary, classes and a learned table's
    length (config.json's "parameters" or the weights' shapes)."""
    model = config.get("model", {})
    variant = config.get("attention", {}).get("variant", "softmax")
    if variant not in _SUPPORTED_VARIANTS:
        raise NotImplementedError(
            f"attention variant '{variant}' is not implemented in attnlab.torch_model "
            f"(supported: {', '.join(_SUPPORTED_VARIANTS)}); it would need its own attend()")
    positional = dict(config.get("positional", {"kind": "sinusoidal"}))
    if positional.get("kind", "sinusoidal") not in SUPPORTED_POSITIONAL:
        raise NotImplementedError(
            f"positional encoding '{positional.get('kind')}' is not implemented in "
            f"attnlab.torch_model (supported: {', '.join(SUPPORTED_POSITIONAL)})")
    d_model = int(model.get("d_model", 64))
    spec = {
        "d_model": d_model,
        "layers": int(model.get("layers", 2)),
        "ffn": int(model.get("ffn", 256)),
        "activation": model.get("activation", "relu"),
        "norm": model.get("norm", "pre"),
        "decoder_mask": model.get("decoder_mask", "causal"),
        "memory": model.get("memory", "full"),
        "heads": _head_dimensions(config.get("heads", {}), d_model),
        "positional": positional,
        "randomized": int(positional.get("randomized", 0)),
    }
    if spec["norm"] not in ("pre", "post"):
        raise NotImplementedError(f"model.norm '{spec['norm']}' (attnlab has pre and post)")

    def shape_of(name):
        shape = shapes.get(name)
        return None if shape is None else [int(s) for s in shape]

    def rows_of(name):
        shape = shape_of(name)
        if shape is None:
            raise WeightsMismatch(f"no shape for {name} (in config.json's parameters or the "
                                  f"weights): it gives the vocabulary or the classes")
        return shape[0]

    architecture = model.get("architecture", "decoder")
    if architecture == "decoder":
        module = DecoderLM(spec, rows_of("decoder.embed.tokens.weight"), shape_of)
    elif architecture == "encoder_decoder":
        module = EncoderDecoder(spec, rows_of("encoder.embed.tokens.weight"),
                                rows_of("decoder.embed.tokens.weight"), shape_of)
    elif architecture == "encoder":
        task = config.get("task", {}).get("name")
        if readout is None:  # config.json of an attnlab before 2026-12-08, or a plugin's task
            raise ValueError(
                f"encoder task '{task}': config.json does not say its readout (one class per "
                f"sequence or per token, from the task's capabilities); pass "
                f"readout='sequence' or readout='token'")
        if readout not in ("sequence", "token"):
            raise ValueError(f"readout must be 'sequence' or 'token', got {readout!r}")
        module = EncoderClassifier(spec, rows_of("encoder.embed.tokens.weight"),
                                   rows_of("classifier.weight"), readout, shape_of)
    else:
        raise NotImplementedError(f"model.architecture '{architecture}'")
    module.attnlab_config = config
    return module


def load_weights(module, tensors, source="the weights"):
    """Load {name: tensor} strictly: every parameter, no other name, the same shapes."""
    expected = {name: tuple(p.shape) for name, p in module.state_dict().items()}
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    misshaped = sorted(f"{name} (model {list(expected[name])}, file {list(tensors[name].shape)})"
                       for name in set(expected) & set(tensors)
                       if tuple(tensors[name].shape) != expected[name])
    if missing or unexpected or misshaped:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unexpected:
            parts.append("unexpected: " + ", ".join(unexpected))
        if misshaped:
            parts.append("of another shape: " + ", ".join(misshaped))
        raise WeightsMismatch(f"{source} do not fit the model config.json describes; "
                              + "; ".join(parts))
    module.load_state_dict({n: t.to(torch.float32) for n, t in tensors.items()}, strict=True)
    return module


def _paths(folder):
    """The weights file (config.json's "weights": model.safetensors, or pytorch_model.bin of
    `attnlab export --format torch`) and config.json of an export folder or weights file."""
    if not os.path.isdir(folder):
        return folder, os.path.join(os.path.dirname(os.path.abspath(folder)), "config.json")
    config_path = os.path.join(folder, "config.json")
    with open(config_path) as f:
        weights = json.load(f).get("weights", "model.safetensors")
    if os.path.basename(weights) != weights:
        raise ValueError(f"{config_path}: \"weights\" is {weights!r}, expected a file name")
    return os.path.join(folder, weights), config_path


def _read_weights(path):
    """name -> tensor from a .safetensors file, or from a torch.save state dict (tensors only)."""
    if path.endswith(".safetensors"):
        return read_safetensors(path)[0]
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise ValueError(f"{path}: not a state dict of tensors")
    return dict(state)


def load(folder, readout=None):
    """The model of an `attnlab export` folder (or its weights file, config.json beside),
    weights loaded strictly, in eval mode."""
    weights_path, config_path = _paths(folder)
    with open(config_path) as f:
        exported = json.load(f)
    if exported.get("format") != "attnlab":
        raise ValueError(f"{config_path}: not an attnlab config.json (format "
                         f"{exported.get('format')!r})")
    version = exported.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{config_path}: format_version is {version!r}, expected an integer >= 1")
    if version > 1:
        raise ValueError(f"{config_path}: format_version {version} is newer than this reader (1)")
    if "config" not in exported:
        raise ValueError(f"{config_path}: no 'config' (the resolved attnlab configuration)")
    tensors = _read_weights(weights_path)
    shapes = dict(exported.get("parameters", {}))
    for name, tensor in tensors.items():
        shapes.setdefault(name, list(tensor.shape))
    module = build(exported["config"], shapes, readout or exported.get("readout"))
    load_weights(module, tensors, weights_path)
    module.attnlab_export = exported
    return module.eval()


def save(module, folder, config_json_path):
    """Write folder/model.safetensors (the module's parameters under attnlab's names) and
    folder/config.json, for `attnlab import folder --output FILE.h5`.

    config.json is the one at config_json_path (the model's configuration, unchanged) with
    what no longer holds replaced: these weights are not the trial's any more, so
    "trial_id" is null, "derived_from" names the trial they started from, "source" says
    they come from torch, and "parameters" gives the saved shapes. The safetensors
    metadata holds format and format_version only (an export also holds config_yaml)."""
    os.makedirs(folder, exist_ok=True)
    with open(config_json_path) as f:
        exported = json.load(f)
    state = module.state_dict()
    write_safetensors(os.path.join(folder, "model.safetensors"), state,
                      {"format": "attnlab", "format_version": "1"})
    exported["derived_from"] = exported.get("trial_id") or exported.get("derived_from")
    exported["trial_id"] = None
    exported["source"] = "attnlab.torch_model.save"
    exported["parameters"] = {name: list(tensor.shape) for name, tensor in state.items()}
    _write_atomically(os.path.join(folder, "config.json"),
                      (json.dumps(exported, indent=2) + "\n").encode())
