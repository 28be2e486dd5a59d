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
import math
import os
import struct
import tempfile

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["load", "save", "build", "read_safetensors", "write_safetensors", "WeightsMismatch",
           "LAYER_NORM_EPS"]

LAYER_NORM_EPS = 1e-5  # attnlab's TransformerConfig::layer_norm_eps (no configuration key sets it)

_SUPPORTED_VARIANTS = ("softmax",)
_SUPPORTED_POSITIONAL = ("none", "sinusoidal", "learned", "rope", "p_rope", "xpos", "alibi",
                         "t5_bias", "fire", "kerple_log")
_SUPPORTED_LAYOUTS = ("mha", "mqa", "gqa", "mla")


class WeightsMismatch(ValueError):
    """The weights do not fit the model that config.json describes."""


# ----------------------------------------------------------------------------- safetensors

def read_safetensors(path):
    """(tensors {name: float32 torch.Tensor}, metadata {str: str}) of an F32 safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length of a safetensors file")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > len(data) - 8:
        raise ValueError(f"{path}: header length {header_length} runs past the end of the file")
    header = json.loads(data[8:8 + header_length])
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    body = data[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        if entry.get("dtype") != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry.get('dtype')}, not F32")
        begin, end = entry["data_offsets"]
        shape = [int(s) for s in entry["shape"]]
        count = int(np.prod(shape)) if shape else 1
        if end - begin != 4 * count or end > len(body):
            raise ValueError(f"{path}: tensor {name}: offsets [{begin}, {end}) do not hold shape "
                             f"{shape} of float32")
        values = np.frombuffer(body, dtype="<f4", count=count, offset=begin).reshape(shape)
        tensors[name] = torch.from_numpy(values.copy())
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Write {name: tensor} as F32 safetensors, names sorted, header padded to 8 bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        values = tensors[name].detach().to("cpu", torch.float32).contiguous().numpy()
        raw = values.astype("<f4", copy=False).tobytes()
        header[name] = {"dtype": "F32", "shape": list(values.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    _write_atomically(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def _write_atomically(path, data):
    """Write bytes to path whole or not at all: a temporary beside it, flushed to disk, given
    the mode a new file gets (mkstemp makes it 0600), then renamed over path."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".attnlab.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


# ----------------------------------------------------------------------------- positions

_MASK64 = (1 << 64) - 1


class _MT19937_64:
    """std::mt19937_64, bit for bit (attnlab's Rng)."""

    def __init__(self, seed):
        mt = [seed & _MASK64]
        for i in range(1, 312):
            mt.append((6364136223846793005 * (mt[-1] ^ (mt[-1] >> 62)) + i) & _MASK64)
        self.mt, self.index = mt, 312

    def _twist(self):
        mt = self.mt
        for i in range(312):
            x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
            shifted = x >> 1
            if x & 1:
                shifted ^= 0xB5026F5AA96619E9
            mt[i] = mt[(i + 156) % 312] ^ shifted
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & _MASK64


def _mix(x):
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _seeded_rng(seed, purpose):
    """attnlab's seeded_rng(seed, purpose): FNV-1a of the purpose, SplitMix64 mixing."""
    h = 1469598103934665603
    for byte in purpose.encode():
        h = ((h ^ byte) * 1099511628211) & _MASK64
    return _MT19937_64(_mix(seed ^ _mix(h)))


def _random_positions(length, span, rng):
    if length < 0 or length > span:
        raise ValueError(f"randomized positions: cannot draw {length} distinct positions from "
                         f"[0, {span}); positional.randomized must be >= the sequence length")
    chosen = []
    for position in range(span):
        if len(chosen) >= length:
            break
        if rng() % (span - position) < length - len(chosen):
            chosen.append(position)
    return chosen


def stack_positions(randomized, length, stack):
    """The positions attnlab gives a stack's tokens outside training (a LongTensor [T])."""
    if randomized == 0:
        return torch.arange(length, dtype=torch.long)
    drawn = _random_positions(length, randomized, _seeded_rng(0, f"{stack} positions"))
    return torch.tensor(drawn, dtype=torch.long)


# ----------------------------------------------------------------------------- positional encodings

class PositionalEncoding(nn.Module):
    """No positional information (attnlab's `none`); the base of the others."""

    def embedding_term(self, positions):  # -> [T, D] or None
        return None

    def rotate(self, q, k, positions):  # q [B, h, T, d], k [B, g, T, d]
        return q, k

    def score_bias(self, query_positions, key_positions, causal):  # -> [h, T, S] or None
        return None


class Sinusoidal(PositionalEncoding):
    def __init__(self, d_model, base):
        super().__init__()
        if d_model % 2:
            raise ValueError(f"positional encoding 'sinusoidal': d_model = {d_model} must be even")
        self.d_model, self.base = d_model, float(base)

    def embedding_term(self, positions):
        i = torch.arange(self.d_model // 2, dtype=torch.float64)
        angle = positions.to(torch.float64)[:, None] / torch.pow(
            torch.tensor(self.base, dtype=torch.float64), 2.0 * i / self.d_model)
        table = torch.zeros(len(positions), self.d_model, dtype=torch.float64)
        table[:, 0::2] = torch.sin(angle)
        table[:, 1::2] = torch.cos(angle)
        return table.to(torch.float32)


class Learned(PositionalEncoding):
    def __init__(self, length, d_model):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(length, d_model))

    def embedding_term(self, positions):
        length = self.weight.shape[0]
        if len(positions) and (int(positions.min()) < 0 or int(positions.max()) >= length):
            raise ValueError(f"positional encoding 'learned' has a table of {length} positions but "
                             f"position {int(positions.max())} was asked for")
        return self.weight[positions]


def _rotary_frequencies(head_width, base):
    return [base ** (-2.0 * i / head_width) for i in range(head_width // 2)]


class Rotary(PositionalEncoding):
    """rope, p_rope (fewer frequencies: the rest unrotated) and xpos (growth)."""

    def __init__(self, head_width, frequencies, query_growth=None, key_growth=None):
        super().__init__()
        if head_width % 2:
            raise ValueError(f"rotary positional encodings need an even d_k, got {head_width}")
        self.frequencies = list(frequencies)
        self.query_growth, self.key_growth = query_growth, key_growth

    def _turn(self, x, positions, growth):
        pairs = x.shape[-1] // 2
        frequency = torch.zeros(pairs, dtype=torch.float64)
        turned = min(pairs, len(self.frequencies))
        frequency[:turned] = torch.tensor(self.frequencies[:turned], dtype=torch.float64)
        position = positions.to(torch.float64)[:, None]  # [T, 1]
        angle = position * frequency  # [T, d/2]
        scale = 1.0 if growth is None else torch.exp(
            position * torch.tensor(growth, dtype=torch.float64))
        cosines = (scale * torch.cos(angle)).to(torch.float32).repeat_interleave(2, dim=-1)
        sines = (scale * torch.sin(angle)).to(torch.float32).repeat_interleave(2, dim=-1)
        split = x.reshape(*x.shape[:-1], pairs, 2)
        rotated = torch.stack((-split[..., 1], split[..., 0]), dim=-1).reshape(x.shape)
        return x * cosines + rotated * sines

    def rotate(self, q, k, positions):
        return (self._turn(q, positions, self.query_growth),
                self._turn(k, positions, self.key_growth))


def _alibi_slopes(heads):
    def power_of_two(n):
        start = 2.0 ** (-8.0 / n)
        return [start ** k for k in range(1, n + 1)]

    p = 1
    while p * 2 <= heads:
        p *= 2
    slopes, finer = power_of_two(p), power_of_two(2 * p)
    k = 0
    while len(slopes) < heads:
        slopes.append(finer[k])
        k += 2
    return slopes


class Alibi(PositionalEncoding):
    def __init__(self, heads):
        super().__init__()
        self.slopes = _alibi_slopes(heads)

    def score_bias(self, query_positions, key_positions, causal):
        offset = (query_positions[:, None] - key_positions[None, :]).to(torch.float64)
        distance = offset if causal else offset.abs()
        slopes = torch.tensor(self.slopes, dtype=torch.float64)[:, None, None]
        return (-slopes * distance).to(torch.float32)  # [h, T, S]


def _t5_bucket(relative, bidirectional, buckets, max_distance):
    bucket = 0
    if bidirectional:
        buckets //= 2
        if relative > 0:
            bucket += buckets
        distance = abs(relative)
    else:
        distance = max(-relative, 0)
    exact = buckets // 2
    if distance < exact:
        return bucket + distance
    scaled = (math.log(distance / exact) / math.log(max_distance / exact) * (buckets - exact))
    return bucket + min(exact + int(scaled), buckets - 1)


class T5Bias(PositionalEncoding):
    def __init__(self, buckets, max_distance, heads):
        super().__init__()
        self.buckets, self.max_distance = int(buckets), int(max_distance)
        self.weight = nn.Parameter(torch.zeros(self.buckets, heads))

    def score_bias(self, query_positions, key_positions, causal):
        ids = [[_t5_bucket(int(k) - int(q), not causal, self.buckets, self.max_distance)
                for k in key_positions.tolist()] for q in query_positions.tolist()]
        ids = torch.tensor(ids, dtype=torch.long).reshape(len(query_positions), len(key_positions))
        return self.weight[ids].permute(2, 0, 1)  # [T, S, h] -> [h, T, S]


class Fire(PositionalEncoding):
    def __init__(self, heads, hidden):
        super().__init__()
        self.in_weight = nn.Parameter(torch.zeros(1, hidden))
        self.in_bias = nn.Parameter(torch.zeros(hidden))
        self.out_weight = nn.Parameter(torch.zeros(hidden, heads))
        self.out_bias = nn.Parameter(torch.zeros(heads))
        self.c = nn.Parameter(torch.zeros(()))
        self.threshold = nn.Parameter(torch.zeros(()))

    def score_bias(self, query_positions, key_positions, causal):
        distance = (query_positions[:, None] - key_positions[None, :]).abs().to(torch.float32)
        distance = distance[..., None]  # [T, S, 1]
        position = query_positions.clamp(min=0).to(torch.float32)[:, None, None]  # [T, 1, 1]
        c = self.c.clamp(min=1e-3)
        threshold = self.threshold.clamp(min=1.0)
        beyond = position > threshold.detach()
        normaliser = torch.where(beyond, position, torch.zeros_like(position) + threshold)
        inputs = torch.log1p(c * distance) / torch.log1p(c * normaliser)  # [T, S, 1]
        hidden = torch.relu(inputs @ self.in_weight + self.in_bias)
        out = hidden @ self.out_weight + self.out_bias  # [T, S, h]
        return out.permute(2, 0, 1)


class KerpleLog(PositionalEncoding):
    def __init__(self, heads):
        super().__init__()
        self.r1 = nn.Parameter(torch.zeros(heads, 1, 1))
        self.r2 = nn.Parameter(torch.zeros(heads, 1, 1))

    def score_bias(self, query_positions, key_positions, causal):
        distance = (query_positions[:, None] - key_positions[None, :]).abs().to(torch.float32)
        r1, r2 = self.r1.clamp(min=0.01), self.r2.clamp(min=0.01)
        return -(r1 * torch.log1p(r2 * distance[None]))  # [h, T, S]


def _round_half_away(x):
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _make_positional(section, d_model, heads, head_width, shape_of):
    kind = section.get("kind", "sinusoidal")
    p = lambda key, default: section.get(key, default)  # noqa: E731
    if kind == "none":
        return PositionalEncoding()
    if kind == "sinusoidal":
        return Sinusoidal(d_model, float(p("base", 10000.0)))
    if kind == "learned":
        shape = shape_of("positional.weight")
        if shape is None:
            raise WeightsMismatch("positional encoding 'learned': no positional.weight shape in "
                                  "config.json's parameters or the weights")
        return Learned(shape[0], d_model)
    if kind == "rope":
        return Rotary(head_width, _rotary_frequencies(head_width, float(p("base", 10000.0))))
    if kind == "p_rope":
        frequencies = _rotary_frequencies(head_width, float(p("base", 10000.0)))
        kept = _round_half_away(float(p("fraction", 0.75)) * len(frequencies))
        if kept == 0:
            raise ValueError("positional encoding 'p_rope': the fraction rotates no feature pair")
        return Rotary(head_width, frequencies[:kept])
    if kind == "xpos":
        gamma, scale_base = float(p("gamma", 0.4)), float(p("scale_base", 512.0))

        def growth(sign):
            return [sign * math.log((2.0 * i / head_width + gamma) / (1.0 + gamma)) / scale_base
                    for i in range(head_width // 2)]

        return Rotary(head_width, _rotary_frequencies(head_width, float(p("base", 10000.0))),
                      growth(1.0), growth(-1.0))
    if kind == "alibi":
        return Alibi(heads)
    if kind == "t5_bias":
        buckets, max_distance = int(p("buckets", 32)), int(p("max_distance", 128))
        return T5Bias(buckets, max_distance, heads)
    if kind == "fire":
        return Fire(heads, int(p("hidden", 32)))
    if kind == "kerple_log":
        return KerpleLog(heads)
    raise NotImplementedError(
        f"positional encoding '{kind}' is not implemented in attnlab.torch_model "
        f"(supported: {', '.join(_SUPPORTED_POSITIONAL)})")


# ----------------------------------------------------------------------------- layers

class MultiHeadAttention(nn.Module):
    """attnlab's MultiHeadAttention with the softmax variant and any built-in head layout."""

    def __init__(self, d_model, heads, kv_heads, head_width, kv_latent=0):
        super().__init__()
        self.heads, self.kv_heads, self.head_width = heads, kv_heads, head_width
        kv_in = kv_latent if kv_latent > 0 else d_model
        self.q_proj = nn.Linear(d_model, heads * head_width)
        self.k_proj = nn.Linear(kv_in, kv_heads * head_width)
        self.v_proj = nn.Linear(kv_in, kv_heads * head_width)
        self.o_proj = nn.Linear(heads * head_width, d_model)
        self.kv_down = nn.Linear(d_model, kv_latent) if kv_latent > 0 else None

    def forward(self, query_input, key_value_input, causal=False, key_lengths=None,
                positions=None, encoding=None):
        B, T, _ = query_input.shape
        h, g, d = self.heads, self.kv_heads, self.head_width
        q = self.q_proj(query_input).reshape(B, T, h, d).transpose(1, 2)  # [B, h, T, d]
        source = self.kv_down(key_value_input) if self.kv_down is not None else key_value_input
        S = source.shape[1]
        k = self.k_proj(source).reshape(B, S, g, d).transpose(1, 2)  # [B, g, S, d]
        v = self.v_proj(source).reshape(B, S, g, d).transpose(1, 2)
        bias = None
        if positions is not None:  # self-attention: rotations and score biases
            q, k = encoding.rotate(q, k, positions)
            bias = encoding.score_bias(positions, positions, causal)
        if g != h:  # kv head j serves query heads j * (h / g) .. (j + 1) * (h / g) - 1
            k = k.repeat_interleave(h // g, dim=1)
            v = v.repeat_interleave(h // g, dim=1)
        scale = 1.0 / math.sqrt(float(d))
        scores = torch.matmul(q, k.transpose(-1, -2)) * scale  # [B, h, T, S]
        if bias is not None:
            scores = scores + bias
        valid = torch.ones(T, S, dtype=torch.bool)
        if causal:  # query t sees keys [0, S - T + t]
            valid = torch.arange(S)[None, :] <= (S - T + torch.arange(T))[:, None]
        valid = valid[None, None]  # [1, 1, T, S]
        if key_lengths is not None:
            lengths = torch.as_tensor(key_lengths, dtype=torch.long).reshape(-1)
            valid = valid & (torch.arange(S)[None, :] < lengths[:, None])[:, None, None, :]
        any_valid = valid.any(dim=-1, keepdim=True)
        scores = scores.masked_fill(~valid & any_valid, float("-inf"))
        weights = torch.softmax(scores, dim=-1).masked_fill(~valid, 0.0)
        heads_out = torch.matmul(weights, v)  # [B, h, T, d]
        concat = heads_out.transpose(1, 2).reshape(B, T, h * d)
        return self.o_proj(concat)


class FeedForward(nn.Module):
    def __init__(self, d_model, hidden, activation):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise NotImplementedError(f"activation '{activation}' (attnlab has relu and gelu)")
        self.activation = activation
        self.linear1 = nn.Linear(d_model, hidden)
        self.linear2 = nn.Linear(hidden, d_model)

    def forward(self, x):
        pre = self.linear1(x)
        hidden = torch.relu(pre) if self.activation == "relu" else F.gelu(pre)  # exact (erf) GELU
        return self.linear2(hidden)


class Layer(nn.Module):
    """EncoderLayer (causal False, no cross-attention) or DecoderLayer."""

    def __init__(self, spec, cross_attention):
        super().__init__()
        D = spec["d_model"]
        self.pre = spec["norm"] == "pre"
        self.self_attn = MultiHeadAttention(D, *spec["heads"])
        self.cross_attn = MultiHeadAttention(D, *spec["heads"]) if cross_attention else None
        self.ffn = FeedForward(D, spec["ffn"], spec["activation"]) if spec["ffn"] > 0 else None
        self.self_attn_norm = nn.LayerNorm(D, eps=LAYER_NORM_EPS)
        self.ffn_norm = nn.LayerNorm(D, eps=LAYER_NORM_EPS) if self.ffn is not None else None
        self.cross_attn_norm = (nn.LayerNorm(D, eps=LAYER_NORM_EPS) if cross_attention else None)

    def _residual(self, norm, x, f):
        return x + f(norm(x)) if self.pre else norm(x + f(x))

    def forward(self, x, causal, key_lengths, positions, encoding, memory=None,
                memory_lengths=None):
        h = self._residual(self.self_attn_norm, x, lambda t: self.self_attn(
            t, t, causal=causal, key_lengths=key_lengths, positions=positions, encoding=encoding))
        if self.cross_attn is not None:
            h = self._residual(self.cross_attn_norm, h, lambda t: self.cross_attn(
                t, memory, causal=False, key_lengths=memory_lengths))
        if self.ffn is not None:
            h = self._residual(self.ffn_norm, h, self.ffn)
        return h


class Embedding(nn.Module):
    def __init__(self, vocab, d_model):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d_model)


class Stack(nn.Module):
    """attnlab's Encoder (stack 'encoder') or Decoder (stack 'decoder')."""

    def __init__(self, spec, prefix, vocab, cross_attention, shape_of):
        super().__init__()
        self.stack = prefix
        self.randomized = spec["randomized"]
        self.embed = Embedding(vocab, spec["d_model"])
        self.positional = _make_positional(spec["positional"], spec["d_model"], spec["heads"][0],
                                           spec["heads"][2],
                                           lambda name: shape_of(f"{prefix}.{name}"))
        self.layers = nn.ModuleList(Layer(spec, cross_attention) for _ in range(spec["layers"]))
        self.final_norm = (nn.LayerNorm(spec["d_model"], eps=LAYER_NORM_EPS)
                           if spec["norm"] == "pre" else None)

    def forward(self, ids, causal=False, key_lengths=None, memory=None, memory_lengths=None):
        ids = torch.as_tensor(ids).long()
        positions = stack_positions(self.randomized, ids.shape[1], self.stack)
        x = self.embed.tokens(ids)  # [B, T, D], not scaled by sqrt(D)
        term = self.positional.embedding_term(positions)
        if term is not None:
            x = x + term
        for layer in self.layers:
            x = layer(x, causal, key_lengths, positions, self.positional, memory, memory_lengths)
        return self.final_norm(x) if self.final_norm is not None else x


def _mean_pool_weights(batch, length, lengths):
    """[B, 1, S]: 1 / valid on each row's valid positions (attnlab's mean_pool_weights)."""
    weights = torch.zeros(batch, 1, length)
    for b in range(batch):
        valid = length if lengths is None else int(lengths[b])
        weights[b, 0, :valid] = float(np.float32(1.0) / np.float32(valid))
    return weights


def _lengths(source_lengths):
    return None if source_lengths is None else torch.as_tensor(source_lengths).long().reshape(-1)


class EncoderClassifier(nn.Module):
    """forward(source [B, S], source_lengths [B] or None) -> [B, S, C] (token readout) or [B, C]."""

    def __init__(self, spec, vocab, classes, readout, shape_of):
        super().__init__()
        self.readout = readout
        self.encoder = Stack(spec, "encoder", vocab, False, shape_of)
        self.classifier = nn.Linear(spec["d_model"], classes)

    def forward(self, source, source_lengths=None):
        lengths = _lengths(source_lengths)
        states = self.encoder(source, causal=False, key_lengths=lengths)  # [B, S, D]
        if self.readout == "token":
            return self.classifier(states)
        B, S = states.shape[0], states.shape[1]
        pooled = torch.matmul(_mean_pool_weights(B, S, lengths), states)  # [B, 1, D]
        return self.classifier(pooled.reshape(B, -1))


class DecoderLM(nn.Module):
    """forward(tokens [B, T]) -> next-token logits [B, T, V]."""

    def __init__(self, spec, vocab, shape_of):
        super().__init__()
        self.causal = spec["decoder_mask"] == "causal"
        self.decoder = Stack(spec, "decoder", vocab, False, shape_of)
        self.lm_head = nn.Linear(spec["d_model"], vocab)

    def forward(self, tokens):
        return self.lm_head(self.decoder(tokens, causal=self.causal))


class EncoderDecoder(nn.Module):
    """forward(source [B, S], target_input [B, T], source_lengths [B] or None) -> [B, T, V]."""

    def __init__(self, spec, source_vocab, target_vocab, shape_of):
        super().__init__()
        self.causal = spec["decoder_mask"] == "causal"
        self.memory = spec["memory"]
        self.encoder = Stack(spec, "encoder", source_vocab, False, shape_of)
        self.decoder = Stack(spec, "decoder", target_vocab, True, shape_of)
        self.lm_head = nn.Linear(spec["d_model"], target_vocab)

    def forward(self, source, target_input, source_lengths=None):
        lengths = _lengths(source_lengths)
        states = self.encoder(source, causal=False, key_lengths=lengths)  # [B, S, D]
        if self.memory == "full":
            memory, memory_lengths = states, lengths
        else:  # mean: one key per example, the mean of the valid states, unmasked
            B, S = states.shape[0], states.shape[1]
            memory, memory_lengths = torch.matmul(_mean_pool_weights(B, S, lengths), states), None
        hidden = self.decoder(target_input, causal=self.causal, memory=memory,
                              memory_lengths=memory_lengths)
        return self.lm_head(hidden)


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
    if positional.get("kind", "sinusoidal") not in _SUPPORTED_POSITIONAL:
        raise NotImplementedError(
            f"positional encoding '{positional.get('kind')}' is not implemented in "
            f"attnlab.torch_model (supported: {', '.join(_SUPPORTED_POSITIONAL)})")
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
    if os.path.isdir(folder):
        return os.path.join(folder, "model.safetensors"), os.path.join(folder, "config.json")
    return folder, os.path.join(os.path.dirname(os.path.abspath(folder)), "config.json")


def load(folder, readout=None):
    """The model of an `attnlab export` folder (or its .safetensors file, config.json beside),
    weights loaded strictly, in eval mode."""
    weights_path, config_path = _paths(folder)
    with open(config_path) as f:
        exported = json.load(f)
    if exported.get("format") != "attnlab":
        raise ValueError(f"{config_path}: not an attnlab config.json (format "
                         f"{exported.get('format')!r})")
    if int(exported.get("format_version", 1)) > 1:
        raise ValueError(f"{config_path}: format_version {exported['format_version']} is newer "
                         f"than this reader (1)")
    if "config" not in exported:
        raise ValueError(f"{config_path}: no 'config' (the resolved attnlab configuration)")
    tensors, _ = read_safetensors(weights_path)
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
