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


def attention_parameters(d_model):
    """attnlab's MultiHeadAttention parameters by name, as gradient-tracking leaves."""
    params = {}
    for projection in PROJECTIONS:
        for suffix, shape in (("weight", (d_model, d_model)), ("bias", (d_model,))):
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


def torch_multihead_attention(query, key_value, params, heads, causal, key_lengths):
    """The same computation through nn.MultiheadAttention, loaded with the same parameters."""
    d_model = query.shape[-1]
    module = torch.nn.MultiheadAttention(d_model, heads, dropout=0.0, batch_first=True)
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.cat([params[f"{p}.weight"] for p in PROJECTIONS[:3]]))
        module.in_proj_bias.copy_(torch.cat([params[f"{p}.bias"] for p in PROJECTIONS[:3]]))
        module.out_proj.weight.copy_(params["o_proj.weight"])
        module.out_proj.bias.copy_(params["o_proj.bias"])
    output, weights = module(
        query, key_value, key_value,
        key_padding_mask=None if key_lengths is None else padding_mask(key_lengths, key_value.shape[1]),
        attn_mask=causal_mask(query.shape[1]) if causal else None,
        need_weights=True, average_attn_weights=False)
    return output, weights


def require_close(what, actual, expected, tolerance=CROSS_CHECK_TOLERANCE):
    difference = (actual - expected).abs().max().item()
    assert difference < tolerance, f"{what}: max abs difference {difference:.3g} >= {tolerance}"


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
