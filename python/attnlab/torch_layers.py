"""The layers and the three models of attnlab in PyTorch: attention, FFN,
blocks, stacks, and the encoder, decoder and encoder-decoder models
(attnlab.torch_model builds them from config.json)."""
import math

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .torch_positional import make_positional, stack_positions

LAYER_NORM_EPS = 1e-5  # attnlab's TransformerConfig::layer_norm_eps (no configuration key sets it)


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
        self.positional = make_positional(spec["positional"], spec["d_model"], spec["heads"][0],
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
