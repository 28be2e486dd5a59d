#!/usr/bin/python3
"""Writes the PyTorch reference that tests/parity/test_torch_parity.cpp checks attnlab against.

Usage: /usr/bin/python3 tests/parity/make_torch_reference.py OUTPUT.h5

Every case is one HDF5 group holding its inputs, its parameters under attnlab's
names, the output, an upstream gradient G and the gradients of sum(output * G).
tests/parity/README.md documents the layout.
"""

import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

SEED = 0
# The explicit attention and nn.MultiheadAttention compute the same function in
# float32 with different operation orders; beyond this they disagree about maths.
CROSS_CHECK_TOLERANCE = 1e-5
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")


# --- parameters -------------------------------------------------------------

def random_parameter(name, shape):
    """Random values for one parameter, so that no bias is zero and no LayerNorm
    is the identity: a parameter left at its default would hide a missing gradient.
    A one-dimensional weight is a LayerNorm gain (Linear weights are matrices)."""
    if name.endswith("weight") and len(shape) == 1:
        return 1.0 + 0.2 * (2.0 * torch.rand(shape) - 1.0)
    bound = 1.0 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.2
    return bound * (2.0 * torch.rand(shape) - 1.0)


def attention_parameters(d_model, query_width=None, kv_width=None):
    """attnlab's MultiHeadAttention parameters by name, as gradient-tracking leaves:
    q_proj [query_width, D], k_proj and v_proj [kv_width, D], o_proj [D, query_width]
    (query_width = h d_k, kv_width = g d_k; both are D in the seed's layout, h = g)."""
    query_width = d_model if query_width is None else query_width
    kv_width = query_width if kv_width is None else kv_width
    widths = {"q_proj": (query_width, d_model), "k_proj": (kv_width, d_model),
              "v_proj": (kv_width, d_model), "o_proj": (d_model, query_width)}
    params = {}
    for projection in PROJECTIONS:
        out_features, in_features = widths[projection]
        for suffix, shape in (("weight", (out_features, in_features)), ("bias", (out_features,))):
            name = f"{projection}.{suffix}"
            params[name] = random_parameter(name, shape).requires_grad_()
    return params


# --- masks ------------------------------------------------------------------

def causal_mask(length):
    """True above the diagonal: query i may not see key j > i."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)


def padding_mask(key_lengths, key_count):
    """True at padded keys: key j of batch item b is padding when j >= key_lengths[b]."""
    positions = torch.arange(key_count).unsqueeze(0)
    return positions >= torch.tensor(key_lengths).unsqueeze(1)


# --- attention computed two ways ---------------------------------------------

def explicit_attention(query, key_value, params, heads, causal, key_lengths):
    """softmax(q k^T / sqrt(d_k)) v per head, spelled out op by op as attnlab does it.
    Returns the output [B, T, D] and the attention weights [B, h, T, S]."""
    batch, query_count, d_model = query.shape
    key_count = key_value.shape[1]
    head_width = d_model // heads

    def split_heads(x):  # [B, L, D] -> [B, h, L, d_k]
        return x.reshape(batch, x.shape[1], heads, head_width).transpose(1, 2)

    q = split_heads(F.linear(query, params["q_proj.weight"], params["q_proj.bias"]))
    k = split_heads(F.linear(key_value, params["k_proj.weight"], params["k_proj.bias"]))
    v = split_heads(F.linear(key_value, params["v_proj.weight"], params["v_proj.bias"]))
    scores = q @ k.transpose(-2, -1) / math.sqrt(head_width)
    if causal:
        scores = scores.masked_fill(causal_mask(query_count), float("-inf"))
    if key_lengths is not None:
        hidden = padding_mask(key_lengths, key_count)[:, None, None, :]
        scores = scores.masked_fill(hidden, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    concat = (weights @ v).transpose(1, 2).reshape(batch, query_count, d_model)
    return F.linear(concat, params["o_proj.weight"], params["o_proj.bias"]), weights


def torch_multihead_attention(query, key_value, params, heads, causal, key_lengths, score_bias=None):
    """The same computation through nn.MultiheadAttention, loaded with the same parameters.
    A score bias [h, T, S] goes in as its float attn_mask, which it adds to the scaled scores."""
    d_model = query.shape[-1]
    module = torch.nn.MultiheadAttention(d_model, heads, dropout=0.0, batch_first=True)
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.cat([params[f"{p}.weight"] for p in PROJECTIONS[:3]]))
        module.in_proj_bias.copy_(torch.cat([params[f"{p}.bias"] for p in PROJECTIONS[:3]]))
        module.out_proj.weight.copy_(params["o_proj.weight"])
        module.out_proj.bias.copy_(params["o_proj.bias"])
    attn_mask = causal_mask(query.shape[1]) if causal else None
    if score_bias is not None:  # [B h, T, S], batch-major as the module wants it
        attn_mask = score_bias.detach().repeat(query.shape[0], 1, 1)
        if causal:
            attn_mask = attn_mask.masked_fill(causal_mask(query.shape[1]), float("-inf"))
    output, weights = module(
        query, key_value, key_value,
        key_padding_mask=None if key_lengths is None else padding_mask(key_lengths, key_value.shape[1]),
        attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
    return output, weights


def require_close(what, actual, expected, tolerance=CROSS_CHECK_TOLERANCE):
    difference = (actual - expected).abs().max().item()
    assert difference < tolerance, f"{what}: max abs difference {difference:.3g} >= {tolerance}"


# --- plugin components, spelled out from their papers -------------------------

def rotary_angles(length, width, base=10000.0):
    """[L, d_k/2] angles t * theta_i, theta_i = base^(-2i/d_k), in float64 as attnlab computes them."""
    theta = base ** (-2.0 * torch.arange(width // 2, dtype=torch.float64) / width)
    return torch.arange(length, dtype=torch.float64)[:, None] * theta[None, :]


def rotate_pairs(x):
    """RoPE (Su et al. 2021) for x [B, h, L, d_k] at positions 0 .. L-1, pairing ADJACENT
    features as attnlab does: (x_2i, x_2i+1) = (a, b) -> (a cos - b sin, b cos + a sin)."""
    angles = rotary_angles(x.shape[-2], x.shape[-1])
    cos, sin = angles.cos().float(), angles.sin().float()  # rounded once, like attnlab's tables
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    a, b = pairs[..., 0], pairs[..., 1]
    return torch.stack((a * cos - b * sin, b * cos + a * sin), dim=-1).reshape(x.shape)


def rotate_complex(x):
    """The paper's complex form of the same rotation: (a + i b) e^{i t theta_i}."""
    angles = rotary_angles(x.shape[-2], x.shape[-1])
    turn = torch.polar(torch.ones_like(angles), angles).to(torch.complex64)
    pairs = torch.view_as_complex(x.detach().reshape(*x.shape[:-1], x.shape[-1] // 2, 2).contiguous())
    return torch.view_as_real(pairs * turn).reshape(x.shape)


def alibi_slopes(heads):
    """ALiBi's head slopes (Press et al. 2021, section 3 and its reference code): for n a power
    of two, the geometric sequence m_k = 2^(-8k/n), k = 1..n; otherwise the slopes for the
    largest power of two p <= n, then every other slope for 2p until there are n."""
    def geometric(n):
        return [2.0 ** (-8.0 * k / n) for k in range(1, n + 1)]
    p = 1 << (heads.bit_length() - 1)
    return (geometric(p) + geometric(2 * p)[0::2])[:heads]


def alibi_bias(heads, length):
    """[h, T, T] bias -m_h (i - j) of query i over key j (positions i and j); used under a
    causal mask, so only j <= i (a penalty growing with distance) is ever seen."""
    slopes = torch.tensor(alibi_slopes(heads), dtype=torch.float64)
    positions = torch.arange(length, dtype=torch.float64)
    distance = positions[:, None] - positions[None, :]
    return (-slopes[:, None, None] * distance).float()


def t5_bucket(relative, bidirectional, buckets, max_distance):
    """T5's bucket of the relative position key - query (Raffel et al. 2020; HF's
    _relative_position_bucket), for one offset: exact below buckets/2 (per direction when
    bidirectional), logarithmic up to max_distance, the last bucket beyond."""
    bucket = 0
    if bidirectional:
        buckets //= 2
        if relative > 0:
            bucket += buckets
        distance = abs(relative)
    else:
        distance = max(-relative, 0)  # only the past has buckets of its own
    exact = buckets // 2
    if distance < exact:
        return bucket + distance
    large = exact + int(math.log(distance / exact) / math.log(max_distance / exact) * (buckets - exact))
    return bucket + min(large, buckets - 1)


def t5_bucket_as_huggingface(relative, bidirectional, buckets, max_distance):
    """HF transformers' vectorised float32 version, for the cross-check (relative: a long tensor)."""
    result = torch.zeros_like(relative)
    if bidirectional:
        buckets //= 2
        result += (relative > 0).to(torch.long) * buckets
        relative = torch.abs(relative)
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    exact = buckets // 2
    large = exact + (torch.log(relative.float() / exact) / math.log(max_distance / exact)
                     * (buckets - exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, buckets - 1))
    return result + torch.where(relative < exact, relative, large)


def t5_bias(table, length, bidirectional, buckets, max_distance):
    """[h, T, T]: table[bucket(j - i), h] for query i and key j; table [buckets, h] is learned."""
    ids = torch.tensor([[t5_bucket(j - i, bidirectional, buckets, max_distance) for j in range(length)]
                        for i in range(length)])
    return table[ids].permute(2, 0, 1)  # [T, S, h] -> [h, T, S]


def project_heads(x, params, heads, kv_heads, head_width):
    """q [B, h, T, d_k], k and v [B, g, T, d_k] of self-attention over x [B, T, D]."""
    batch, length, _ = x.shape

    def split(projection, count):
        y = F.linear(x, params[f"{projection}.weight"], params[f"{projection}.bias"])
        return y.reshape(batch, length, count, head_width).transpose(1, 2)

    return split("q_proj", heads), split("k_proj", kv_heads), split("v_proj", kv_heads)


def share_kv_heads(x, heads):
    """[B, g, S, d] -> [B, h, S, d]: query head i reads key/value head i // (h / g)."""
    return x.repeat_interleave(heads // x.shape[1], dim=1)


def softmax_attention(q, k, v, causal, score_bias=None):
    """softmax(q k^T / sqrt(d_k) + bias) v per head; returns head outputs and weights."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if score_bias is not None:
        scores = scores + score_bias
    if causal:
        scores = scores.masked_fill(causal_mask(q.shape[-2]), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def elu_feature_map(x):
    return F.elu(x) + 1.0


def causal_linear_attention(q, k, v, eps):
    """Katharopoulos et al. 2020 (eqs. 6, 9, 12) in the paper's linear-time causal form:
    S_i = sum_{j<=i} phi(k_j) v_j^T and z_i = sum_{j<=i} phi(k_j) as prefix sums over the
    sequence, out_i = phi(q_i)^T S_i / (phi(q_i)^T z_i + eps) (eps as in the authors' code and
    attnlab). No 1/sqrt(d_k). Also returns the weights phi(q_i).phi(k_j) / (phi(q_i)^T z_i + eps),
    j <= i, which that form never builds but attnlab records."""
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)
    state = torch.cumsum(phi_k.unsqueeze(-1) * v.unsqueeze(-2), dim=2)  # [B, h, T, d_k, d_v]
    normaliser = torch.cumsum(phi_k, dim=2)  # [B, h, T, d_k]
    numerator = (phi_q.unsqueeze(-2) @ state).squeeze(-2)  # [B, h, T, d_v]
    denominator = (phi_q * normaliser).sum(dim=-1, keepdim=True) + eps  # [B, h, T, 1]
    similarity = (phi_q @ phi_k.transpose(-2, -1)).masked_fill(causal_mask(q.shape[-2]), 0.0)
    return numerator / denominator, similarity / denominator


def quadratic_linear_attention(q, k, v, eps):
    """The same attention in the quadratic form, in float64: the cross-check of the linear form."""
    phi_q, phi_k = elu_feature_map(q.detach().double()), elu_feature_map(k.detach().double())
    similarity = (phi_q @ phi_k.transpose(-2, -1)).masked_fill(causal_mask(q.shape[-2]), 0.0)
    weights = similarity / (similarity.sum(dim=-1, keepdim=True) + eps)
    return (weights @ v.detach().double()).float()


def expanded_kv_parameters(params, heads, kv_heads, head_width):
    """GQA/MQA parameters as an equivalent multi-head attention's: each key/value head's rows
    of k_proj and v_proj repeated for the h / g query heads that share it."""
    expanded = dict(params)
    for projection in ("k_proj", "v_proj"):
        for suffix in ("weight", "bias"):
            value = params[f"{projection}.{suffix}"].detach()
            per_head = value.reshape(kv_heads, head_width, *value.shape[1:])
            expanded[f"{projection}.{suffix}"] = per_head.repeat_interleave(
                heads // kv_heads, dim=0).reshape(heads * head_width, *value.shape[1:])
    return expanded


# --- writing ----------------------------------------------------------------

def write_tensor(group, name, value):
    group.create_dataset(name, data=value.detach().numpy().astype(np.float32))


def write_case(group, inputs, params, output, upstream):
    """Inputs, parameters, output, upstream and the gradients of sum(output * upstream).
    Every tensor in `inputs` and `params` must be a leaf that requires a gradient."""
    (output * upstream).sum().backward()
    for name, value in inputs.items():
        write_tensor(group, f"inputs/{name}", value)
        write_tensor(group, f"grad/{name}", value.grad)
    for name, value in params.items():
        write_tensor(group, f"params/{name}", value)
        write_tensor(group, f"grad/{name}", value.grad)
    write_tensor(group, "output", output)
    write_tensor(group, "upstream", upstream)


def write_attributes(group, key_lengths=None, **attributes):
    for name, value in attributes.items():
        group.attrs[name] = np.int64(value)
    if key_lengths is not None:
        group.create_dataset("key_lengths", data=np.asarray(key_lengths, dtype=np.int32))


# --- cases ------------------------------------------------------------------

def attention_case(file, name, batch, query_count, key_count, d_model, heads,
                   causal=False, key_lengths=None, cross=False):
    """One MultiHeadAttention case; self-attention stores its single input as x."""
    params = attention_parameters(d_model)
    x = torch.randn(batch, query_count, d_model).requires_grad_()
    inputs = {"x": x}
    key_value = x
    if cross:
        key_value = torch.randn(batch, key_count, d_model).requires_grad_()
        inputs["memory"] = key_value
    output, weights = explicit_attention(x, key_value, params, heads, causal, key_lengths)
    module_output, module_weights = torch_multihead_attention(
        x.detach(), key_value.detach(), params, heads, causal, key_lengths)
    require_close(f"{name}: output", output, module_output)
    require_close(f"{name}: weights", weights, module_weights)

    group = file.create_group(name)
    write_attributes(group, key_lengths, d_model=d_model, heads=heads, causal=int(causal))
    write_tensor(group, "weights", weights)
    write_tensor(group, "output_torch_mha", module_output)
    write_case(group, inputs, params, output, torch.randn(output.shape))


def attnlab_layer_parameters(layer, attention_names, norm_names):
    """Randomises a torch Transformer layer and returns its parameters under attnlab's names.
    torch stacks q, k and v in one in_proj parameter whose .grad exists only after backward,
    so each name maps to (torch parameter, its rows or None for all of it)."""
    d_model = layer.linear1.in_features
    mapping = {}
    for torch_name, parameter in layer.named_parameters():
        with torch.no_grad():
            parameter.copy_(random_parameter(torch_name, tuple(parameter.shape)))
        module, _, suffix = torch_name.rpartition(".")
        if suffix.startswith("in_proj_"):  # "self_attn.in_proj_weight": q, k, v stacked by rows
            attention = attention_names[module]
            for index, projection in enumerate(PROJECTIONS[:3]):
                rows = slice(index * d_model, (index + 1) * d_model)
                mapping[f"{attention}.{projection}.{suffix[len('in_proj_'):]}"] = (parameter, rows)
        elif module.endswith("out_proj"):
            attention = attention_names[module.rpartition(".")[0]]
            mapping[f"{attention}.o_proj.{suffix}"] = (parameter, None)
        elif module in norm_names:
            mapping[f"{norm_names[module]}.{suffix}"] = (parameter, None)
        else:  # linear1, linear2
            mapping[f"ffn.{module}.{suffix}"] = (parameter, None)
    return mapping


def write_layer_case(group, inputs, mapping, output, upstream):
    """write_case for a torch layer whose parameters attnlab names differently."""
    (output * upstream).sum().backward()
    for name, value in inputs.items():
        write_tensor(group, f"inputs/{name}", value)
        write_tensor(group, f"grad/{name}", value.grad)
    for name, (parameter, rows) in mapping.items():
        rows = rows if rows is not None else slice(None)
        write_tensor(group, f"params/{name}", parameter[rows])
        write_tensor(group, f"grad/{name}", parameter.grad[rows])
    write_tensor(group, "output", output)
    write_tensor(group, "upstream", upstream)


def encoder_layer_case(file, name, batch, length, d_model, heads, ffn_dim, key_lengths):
    layer = torch.nn.TransformerEncoderLayer(d_model, heads, ffn_dim, dropout=0.0, activation="relu",
                                             batch_first=True, norm_first=True)
    mapping = attnlab_layer_parameters(layer, {"self_attn": "self_attn"},
                                       {"norm1": "self_attn_norm", "norm2": "ffn_norm"})
    x = torch.randn(batch, length, d_model).requires_grad_()
    output = layer(x, src_key_padding_mask=padding_mask(key_lengths, length))

    group = file.create_group(name)
    write_attributes(group, key_lengths, d_model=d_model, heads=heads, ffn_dim=ffn_dim)
    write_layer_case(group, {"x": x}, mapping, output, torch.randn(output.shape))


def decoder_layer_case(file, name, batch, length, memory_length, d_model, heads, ffn_dim, key_lengths):
    layer = torch.nn.TransformerDecoderLayer(d_model, heads, ffn_dim, dropout=0.0, activation="relu",
                                             batch_first=True, norm_first=True)
    mapping = attnlab_layer_parameters(
        layer, {"self_attn": "self_attn", "multihead_attn": "cross_attn"},
        {"norm1": "self_attn_norm", "norm2": "cross_attn_norm", "norm3": "ffn_norm"})
    x = torch.randn(batch, length, d_model).requires_grad_()
    memory = torch.randn(batch, memory_length, d_model).requires_grad_()
    output = layer(x, memory, tgt_mask=causal_mask(length),
                   memory_key_padding_mask=padding_mask(key_lengths, memory_length))

    group = file.create_group(name)
    write_attributes(group, key_lengths, d_model=d_model, heads=heads, ffn_dim=ffn_dim)
    write_layer_case(group, {"x": x, "memory": memory}, mapping, output, torch.randn(output.shape))


def component_case(file, name, batch, length, d_model, heads, kv_heads=None, causal=False,
                   attention="softmax", positional="none", buckets=32, max_distance=128):
    """Self-attention through attnlab's plugin components: an attention variant ("softmax",
    "linear"), a positional encoding acting inside attention ("none", "rope", "alibi",
    "t5_bias") and g = kv_heads key/value heads. Each is computed from its paper with explicit
    ops, then cross-checked against an independent computation of the same function."""
    kv_heads = heads if kv_heads is None else kv_heads
    head_width = d_model // heads  # attnlab's "split" width
    params = attention_parameters(d_model, heads * head_width, kv_heads * head_width)
    score_bias = None
    if positional == "t5_bias":  # one learned scalar per bucket and head
        table = random_parameter("positional.weight", (buckets, heads)).requires_grad_()
        params["positional.weight"] = table
        score_bias = t5_bias(table, length, not causal, buckets, max_distance)
        relative = torch.arange(-3 * max_distance, 3 * max_distance + 1)
        for bidirectional in (False, True):
            ours = [t5_bucket(r, bidirectional, buckets, max_distance) for r in relative.tolist()]
            theirs = t5_bucket_as_huggingface(relative, bidirectional, buckets, max_distance).tolist()
            assert ours == theirs, f"{name}: T5 buckets (bidirectional={bidirectional}) disagree with HF's"
    elif positional == "alibi":
        assert causal, "ALiBi is defined for causal attention"
        # The paper's examples: 8 heads 1/2 .. 1/2^8; 16 heads 1/2^0.5, 1/2, .., 1/2^8.
        require_close("ALiBi slopes, 8 heads", torch.tensor(alibi_slopes(8)),
                      torch.tensor([2.0 ** -k for k in range(1, 9)]), 1e-12)
        require_close("ALiBi slopes, 16 heads", torch.tensor(alibi_slopes(16)),
                      torch.tensor([2.0 ** (-k / 2) for k in range(1, 17)]), 1e-12)
        score_bias = alibi_bias(heads, length)
    x = torch.randn(batch, length, d_model).requires_grad_()

    q, k, v = project_heads(x, params, heads, kv_heads, head_width)
    if positional == "rope":
        rotated_q, rotated_k = rotate_pairs(q), rotate_pairs(k)
        require_close(f"{name}: q rotated as complex numbers", rotated_q, rotate_complex(q), 1e-6)
        require_close(f"{name}: k rotated as complex numbers", rotated_k, rotate_complex(k), 1e-6)
        q, k = rotated_q, rotated_k
    k, v = share_kv_heads(k, heads), share_kv_heads(v, heads)
    if attention == "linear":
        assert causal and score_bias is None, "the linear case is causal, with no score bias"
        heads_out, weights = causal_linear_attention(q, k, v, eps=1e-6)
        require_close(f"{name}: linear form vs quadratic form (float64)", heads_out,
                      quadratic_linear_attention(q, k, v, eps=1e-6))
    else:
        heads_out, weights = softmax_attention(q, k, v, causal, score_bias)
    require_close(f"{name}: head outputs vs weights v", heads_out, weights @ v)
    concat = heads_out.transpose(1, 2).reshape(batch, length, heads * head_width)
    output = F.linear(concat, params["o_proj.weight"], params["o_proj.bias"])

    if attention == "softmax" and positional != "rope":  # nn.MultiheadAttention cannot rotate q, k
        module_output, module_weights = torch_multihead_attention(
            x.detach(), x.detach(), expanded_kv_parameters(params, heads, kv_heads, head_width),
            heads, causal, None, score_bias)
        require_close(f"{name}: output vs nn.MultiheadAttention", output, module_output)
        require_close(f"{name}: weights vs nn.MultiheadAttention", weights, module_weights)

    group = file.create_group(name)
    attributes = dict(d_model=d_model, heads=heads, kv_heads=kv_heads, head_width=head_width,
                      causal=int(causal))
    if positional == "t5_bias":
        attributes.update(buckets=buckets, max_distance=max_distance)
    write_attributes(group, **attributes)
    group.attrs["attention"] = attention
    group.attrs["positional"] = positional
    write_tensor(group, "weights", weights)
    write_case(group, {"x": x}, params, output, torch.randn(output.shape))


def write_reference(file):
    file.attrs["torch_version"] = str(torch.__version__)
    file.attrs["seed"] = np.int64(SEED)
    for heads in (1, 2, 4, 8):
        attention_case(file, f"mha_self_h{heads}", batch=2, query_count=5, key_count=5, d_model=16,
                       heads=heads)
    attention_case(file, "mha_causal_h4", batch=2, query_count=5, key_count=5, d_model=16, heads=4,
                   causal=True)
    attention_case(file, "mha_padding_h2", batch=2, query_count=5, key_count=5, d_model=16, heads=2,
                   key_lengths=[5, 3])
    attention_case(file, "mha_cross_h4", batch=2, query_count=3, key_count=6, d_model=16, heads=4,
                   key_lengths=[6, 4], cross=True)
    encoder_layer_case(file, "encoder_layer", batch=2, length=5, d_model=16, heads=4, ffn_dim=32,
                       key_lengths=[5, 3])
    decoder_layer_case(file, "decoder_layer", batch=2, length=4, memory_length=6, d_model=16, heads=4,
                       ffn_dim=32, key_lengths=[6, 4])
    # Plugin components inside attention; appended, so the cases above keep their random values.
    component_case(file, "rope_h4", batch=2, length=5, d_model=16, heads=4, causal=True,
                   positional="rope")
    component_case(file, "alibi_h4", batch=2, length=5, d_model=16, heads=4, causal=True,
                   positional="alibi")
    component_case(file, "alibi_h6", batch=2, length=5, d_model=24, heads=6, causal=True,
                   positional="alibi")
    component_case(file, "t5_bias_h4", batch=2, length=5, d_model=16, heads=4, positional="t5_bias")
    # T = 5 only reaches T5's exact buckets; this one also reaches the logarithmic ones and the
    # cap (distances 8..23 with 16 buckets up to distance 20), and the causal (one-way) buckets.
    component_case(file, "t5_bias_h4_causal_far", batch=2, length=24, d_model=16, heads=4,
                   causal=True, positional="t5_bias", buckets=16, max_distance=20)
    component_case(file, "linear_h4", batch=2, length=5, d_model=16, heads=4, causal=True,
                   attention="linear")
    component_case(file, "gqa_h4_g2", batch=2, length=5, d_model=16, heads=4, kv_heads=2)
    component_case(file, "mqa_h4", batch=2, length=5, d_model=16, heads=4, kv_heads=1)
    # The research set of components (research_reference.py); appended, as above.
    from research_reference import write_research_cases  # it imports this module's helpers
    write_research_cases(file)


def main(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} OUTPUT.h5")
    output_path = argv[1]
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    # Written aside and renamed, so a crash half-way never leaves a file that looks complete.
    partial_path = output_path + ".tmp"
    try:
        with h5py.File(partial_path, "w") as file:
            write_reference(file)
        os.replace(partial_path, output_path)
    finally:
        if os.path.exists(partial_path):
            os.remove(partial_path)


if __name__ == "__main__":
    main(sys.argv)
