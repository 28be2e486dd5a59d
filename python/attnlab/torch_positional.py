"""Positions and positional encodings of attnlab's models in PyTorch, as
plugins/positional and framework/src/model compute them (attnlab.torch_model
builds them)."""
import math

import torch
from torch import nn


SUPPORTED_POSITIONAL = ("none", "sinusoidal", "learned", "rope", "p_rope", "xpos", "alibi",
                        "t5_bias", "fire", "kerple_log")


class WeightsMismatch(ValueError):
    """The weights do not fit the model that config.json describes."""


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


def make_positional(section, d_model, heads, head_width, shape_of):
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
        f"(supported: {', '.join(SUPPORTED_POSITIONAL)})")
