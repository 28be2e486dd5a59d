"""The research set of components, each written from its paper's formula with explicit torch
ops and cross-checked against a second, independent computation (a float64 loop, the
paper's other form) before the case is written. make_torch_reference.py appends these cases
after its own, so theirs keep their random values. tests/parity/README.md lists them."""

import math

import torch
import torch.nn.functional as F

import make_torch_reference as base


# --- attention variants ---------------------------------------------------------------

def scaled_scores(q, k):
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])


def masked(scores, causal):
    return scores.masked_fill(base.causal_mask(scores.shape[-1]), float("-inf")) if causal else scores


def mix_heads(x, mixing):
    """x [B, h, T, S] -> out_i = sum_j mixing[i, j] x_j (Shazeer et al. 2020, eqs. in section 4)."""
    return torch.einsum("ij,bjts->bits", mixing, x)


def talking_heads(q, k, v, causal, bias, p):
    assert bias is None, "talking heads promise no score bias"
    logits = mix_heads(scaled_scores(q, k), p["variant.logits_mixing"])
    weights = mix_heads(torch.softmax(masked(logits, causal), -1), p["variant.weights_mixing"])
    return weights @ v, weights


def talking_heads_by_loops(q, k, v, causal, bias, p):
    """The same in float64, head by head with explicit sums (the cross-check)."""
    q, k, v = q.double(), k.double(), v.double()
    P_l, P_w = p["variant.logits_mixing"].double(), p["variant.weights_mixing"].double()
    heads = q.shape[1]
    J = [scaled_scores(q[:, h], k[:, h]) for h in range(heads)]
    mixed = [sum(P_l[i, j] * J[j] for j in range(heads)) for i in range(heads)]
    W = [torch.softmax(masked(m, causal), -1) for m in mixed]
    out = [sum(P_w[i, j] * W[j] for j in range(heads)) @ v[:, i] for i in range(heads)]
    return torch.stack(out, 1)


def qk_norm(q, k, v, causal, bias, p, eps=1e-6):
    """Dehghani et al. 2023: LayerNorm of q and k over d_k, then softmax attention."""
    width = q.shape[-1]
    q = F.layer_norm(q, (width,), p["variant.query_gain"], p["variant.query_bias"], eps)
    k = F.layer_norm(k, (width,), p["variant.key_gain"], p["variant.key_bias"], eps)
    return base.softmax_attention(q, k, v, causal, bias)


def qk_norm_by_hand(q, k, v, causal, bias, p, eps=1e-6):
    def normalise(x, gain, shift):
        x = x.double()
        mean = x.mean(-1, keepdim=True)
        variance = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(variance + eps) * gain.double() + shift.double()
    q = normalise(q, p["variant.query_gain"], p["variant.query_bias"])
    k = normalise(k, p["variant.key_gain"], p["variant.key_bias"])
    return base.softmax_attention(q, k, v.double(), causal, None if bias is None else bias.double())[0]


def sparse_topk(q, k, v, causal, bias, p, top_k=2):
    """Zhao et al. 2019: keep each query's top_k visible scores, softmax over them."""
    scores = scaled_scores(q, k) + (0 if bias is None else bias)
    visible = masked(scores, causal)
    threshold = visible.topk(min(top_k, visible.shape[-1]), dim=-1).values[..., -1:]
    weights = torch.softmax(visible.masked_fill(visible < threshold.detach(), float("-inf")), -1)
    return weights @ v, weights


def sparse_topk_by_sorting(q, k, v, causal, bias, p, top_k=2):
    """Rows sorted in float64: the keys ranked below top_k get weight 0."""
    scores = masked(scaled_scores(q.double(), k.double()) + (0 if bias is None else bias.double()),
                    causal)
    ranks = scores.argsort(-1, descending=True).argsort(-1)
    weights = torch.softmax(scores.masked_fill(ranks >= top_k, float("-inf")), -1)
    return weights @ v.double()


def differential_lambda(p, lambda_init):
    return (torch.exp((p["variant.lambda_q1"] * p["variant.lambda_k1"]).sum())
            - torch.exp((p["variant.lambda_q2"] * p["variant.lambda_k2"]).sum()) + lambda_init)


def differential(q, k, v, causal, bias, p, lambda_init=0.8, eps=1e-5):
    """Ye et al. 2024, eqs. 1-3: (softmax_1 - lambda softmax_2) v, RMSNorm per head, x (1 - lambda_init)."""
    half = q.shape[-1] // 2
    add = 0 if bias is None else bias
    a1 = torch.softmax(masked(scaled_scores(q[..., :half], k[..., :half]) + add, causal), -1)
    a2 = torch.softmax(masked(scaled_scores(q[..., half:], k[..., half:]) + add, causal), -1)
    heads = (a1 - differential_lambda(p, lambda_init) * a2) @ v
    rms = heads * torch.rsqrt(heads.pow(2).mean(-1, keepdim=True) + eps)
    return rms * p["variant.norm_gain"] * (1 - lambda_init), None


def differential_in_double(q, k, v, causal, bias, p, lambda_init=0.8, eps=1e-5):
    doubled = {name: value.double() for name, value in p.items()}
    out, _ = differential(q.double(), k.double(), v.double(), causal,
                          None if bias is None else bias.double(), doubled, lambda_init, eps)
    return out


def learned_sink(q, k, v, causal, bias, p):
    """Softmax over the keys and one learned logit per head (a sink with no value)."""
    logits = masked(scaled_scores(q, k) + (0 if bias is None else bias), causal)
    sink = p["variant.sink"].expand(*logits.shape[:-1], 1)
    weights = torch.softmax(torch.cat([logits, sink], -1), -1)[..., :-1]
    return weights @ v, weights


def learned_sink_by_hand(q, k, v, causal, bias, p):
    logits = masked(scaled_scores(q.double(), k.double())
                    + (0 if bias is None else bias.double()), causal)
    numerators = torch.exp(logits)
    denominator = numerators.sum(-1, keepdim=True) + torch.exp(p["variant.sink"].double())
    return (numerators / denominator) @ v.double()


def forgetting(q, k, v, causal, bias, p):
    """Lin et al. 2025 with the gate read from the head's key: f_t = sigmoid(w . k_t + b),
    D_ij = c_i - c_j, c = cumsum(log f) (causal; -|c_i - c_j| both ways)."""
    assert bias is None, "forgetting promises no score bias"
    gate = (k * p["variant.gate_weight"]).sum(-1) + p["variant.gate_bias"]
    c = torch.cumsum(F.logsigmoid(gate), -1)
    decay = -(c[..., :, None] - c[..., None, :]).abs()
    return base.softmax_attention(q, k, v, causal, decay)


def forgetting_by_products(q, k, v, causal, bias, p):
    """The paper's form: weights proportional to exp(q k / sqrt(d)) prod_{l=j+1}^{i} f_l (j <= i)."""
    q, k, v = q.double(), k.double(), v.double()
    f = torch.sigmoid((k * p["variant.gate_weight"].double()).sum(-1) + p["variant.gate_bias"].double())
    length = q.shape[-2]
    products = torch.ones(*f.shape[:-1], length, length, dtype=torch.float64)
    for i in range(length):
        for j in range(i + 1):
            products[..., i, j] = f[..., j + 1:i + 1].prod(-1)
    numerators = torch.exp(scaled_scores(q, k)) * products
    numerators = numerators.masked_fill(base.causal_mask(length), 0.0)
    return (numerators / numerators.sum(-1, keepdim=True)) @ v


def retention_decays(heads):
    return [1.0 - 2.0 ** (-5 - h) for h in range(heads)]


def retention(q, k, v, causal, bias, p):
    """Sun et al. 2023, parallel form with its normalisations (eqs. 5, 8)."""
    assert causal and bias is None
    heads, length = q.shape[1], q.shape[2]
    n = torch.arange(length, dtype=torch.float64)
    distance = n[:, None] - n[None, :]
    gammas = torch.tensor(retention_decays(heads), dtype=torch.float64)[:, None, None]
    decay = torch.where(distance >= 0, gammas ** distance.clamp(min=0), torch.zeros(()))
    decay = (decay / decay.sum(-1, keepdim=True).sqrt()).float()
    scores = scaled_scores(q, k) * decay
    weights = scores / scores.sum(-1, keepdim=True).abs().clamp(min=1.0)
    return weights @ v, weights


def retention_by_loops(q, k, v, causal, bias, p):
    q, k, v = q.double(), k.double(), v.double()
    heads, length, width = q.shape[1], q.shape[2], q.shape[3]
    out = torch.zeros_like(q)
    for h, gamma in enumerate(retention_decays(heads)):
        for n in range(length):
            norm = math.sqrt(sum(gamma ** (n - m) for m in range(n + 1)))
            row = [(q[:, h, n] * k[:, h, m]).sum(-1) / math.sqrt(width) * gamma ** (n - m) / norm
                   for m in range(n + 1)]
            total = sum(row).abs().clamp(min=1.0)
            out[:, h, n] = sum(r[:, None] * v[:, h, m] for m, r in enumerate(row)) / total[:, None]
    return out


def cope(q, k, v, causal, bias, p, positions=8):
    """Golovneva et al. 2024, as their reference code: gates sigmoid(logits) (masked: 0),
    positions p = suffix sums of the gates clamped to n - 1, logits of the integer
    positions q E gathered at floor and ceil of p and interpolated."""
    logits = masked(scaled_scores(q, k) + (0 if bias is None else bias), causal)
    counted = torch.sigmoid(logits).flip(-1).cumsum(-1).flip(-1).clamp(max=positions - 1)
    at_integers = q @ p["variant.position_embeddings"]  # [B, h, T, n]
    ceil, floor = counted.ceil().long(), counted.floor().long()
    fraction = counted - floor
    position_logits = (at_integers.gather(-1, ceil) * fraction
                       + at_integers.gather(-1, floor) * (1 - fraction))
    weights = torch.softmax(logits + position_logits, -1)
    return weights @ v, weights


def cope_by_loops(q, k, v, causal, bias, p, positions=8):
    q, k, v = q.double(), k.double(), v.double()
    E = p["variant.position_embeddings"].double()
    batch, heads, length, width = q.shape
    out = torch.zeros_like(q)
    for b in range(batch):
        for h in range(heads):
            for i in range(length):
                seen = range(i + 1) if causal else range(length)
                s = {j: float(q[b, h, i] @ k[b, h, j]) / math.sqrt(width)
                     + (0.0 if bias is None else float(bias[h, i, j])) for j in seen}
                gates = {j: 1 / (1 + math.exp(-s[j])) for j in seen}
                logits = {}
                for j in seen:
                    position = min(sum(gates[t] for t in seen if t >= j), positions - 1)
                    low, high = math.floor(position), math.ceil(position)
                    z = q[b, h, i] @ E
                    logits[j] = s[j] + float(z[high]) * (position - low) + float(z[low]) * (1 - position + low)
                top = max(logits.values())
                total = sum(math.exp(x - top) for x in logits.values())
                for j in seen:
                    out[b, h, i] += math.exp(logits[j] - top) / total * v[b, h, j]
    return out


def selective(q, k, v, causal, bias, p):
    """Leviathan et al. 2024, as the paper's pseudo-code: head 0's ReLU'd logits, never the
    first key nor a query's own, rolled one query down and summed over earlier queries."""
    logits = masked(scaled_scores(q, k) + (0 if bias is None else bias), causal)
    length = logits.shape[-1]
    keep = torch.ones(length, length)
    keep[:, 0] = 0  # the first token is never masked
    keep = keep * (1 - torch.eye(length))  # nor a query's own key
    selection = torch.relu(logits[:, 0]) * keep  # [B, T, S]
    shifted = torch.roll(selection, 1, -2) * (torch.arange(length) > 0).float()[:, None]
    masked_away = torch.cumsum(shifted, -2)  # F[i] = sum_{k < i} S[k]
    weights = torch.softmax(logits - masked_away[:, None], -1)
    return weights @ v, weights


def selective_by_loops(q, k, v, causal, bias, p):
    logits = (scaled_scores(q.double(), k.double())
              + (0 if bias is None else bias.double()))
    batch, heads, length, _ = logits.shape
    out = torch.zeros(batch, heads, length, v.shape[-1], dtype=torch.float64)
    for b in range(batch):
        for i in range(length):
            seen = [j for j in range(length) if not causal or j <= i]
            away = [sum(max(float(logits[b, 0, earlier, j]), 0.0) for earlier in range(i)
                        if j not in (0, earlier) and (not causal or j <= earlier)) for j in seen]
            for h in range(heads):
                scores = [float(logits[b, h, i, j]) - a for j, a in zip(seen, away)]
                top = max(scores)
                total = sum(math.exp(s - top) for s in scores)
                for j, s in zip(seen, scores):
                    out[b, h, i] += math.exp(s - top) / total * v[b, h, j].double()
    return out


VARIANTS = {  # name: (forward, cross-check, attnlab parameters, extra torch parameters)
    "talking_heads": (talking_heads, talking_heads_by_loops, ""),
    "qk_norm": (qk_norm, qk_norm_by_hand, ""),
    "sparse_topk": (sparse_topk, sparse_topk_by_sorting, "top_k=2"),
    "differential": (differential, differential_in_double, ""),
    "learned_sink": (learned_sink, learned_sink_by_hand, ""),
    "forgetting": (forgetting, forgetting_by_products, ""),
    "retention": (retention, retention_by_loops, ""),
    "cope": (cope, cope_by_loops, "positions=8"),
    "selective": (selective, selective_by_loops, ""),
}


def variant_parameters(name, heads, width):
    """The variant's learned parameters under attnlab's names, random (none left at its
    initial value, which could hide a missing gradient)."""
    def uniform(shape, low, high):
        return (low + (high - low) * torch.rand(shape)).requires_grad_()
    shapes = {
        "talking_heads": {"logits_mixing": (heads, heads), "weights_mixing": (heads, heads)},
        "qk_norm": {"query_gain": (width,), "query_bias": (width,), "key_gain": (width,),
                    "key_bias": (width,)},
        "differential": {"lambda_q1": (width // 2,), "lambda_k1": (width // 2,),
                         "lambda_q2": (width // 2,), "lambda_k2": (width // 2,), "norm_gain": (width,)},
        "learned_sink": {"sink": (1, heads, 1, 1)},
        "forgetting": {"gate_weight": (1, heads, 1, width), "gate_bias": (1, heads, 1)},
        "cope": {"position_embeddings": (width, 8)},
    }.get(name, {})
    return {f"variant.{parameter}": uniform(shape, -1.0, 1.0) for parameter, shape in shapes.items()}


# --- positional encodings ---------------------------------------------------------------

def rotate(x, frequencies, growth=None):
    """Pairs (2i, 2i+1) of x [B, h, L, d] at positions 0..L-1 turned by t * frequencies[i]
    (pairs beyond: unturned) and scaled by exp(t * growth[i])."""
    length, pairs = x.shape[-2], x.shape[-1] // 2
    t = torch.arange(length, dtype=torch.float64)[:, None]
    f = torch.zeros(pairs, dtype=torch.float64)
    f[:len(frequencies)] = torch.tensor(frequencies, dtype=torch.float64)
    scale = torch.ones(length, pairs, dtype=torch.float64) if growth is None else torch.exp(
        t * torch.tensor(growth, dtype=torch.float64))
    cos, sin = (scale * torch.cos(t * f)).float(), (scale * torch.sin(t * f)).float()
    pairs_of = x.reshape(*x.shape[:-1], pairs, 2)
    a, b = pairs_of[..., 0], pairs_of[..., 1]
    return torch.stack((a * cos - b * sin, b * cos + a * sin), -1).reshape(x.shape)


def rotate_complex(x, frequencies, growth=None):
    """The complex form (a + ib) e^{i t f} |scale|, in complex128 (the cross-check)."""
    length, pairs = x.shape[-2], x.shape[-1] // 2
    t = torch.arange(length, dtype=torch.float64)[:, None]
    f = torch.zeros(pairs, dtype=torch.float64)
    f[:len(frequencies)] = torch.tensor(frequencies, dtype=torch.float64)
    magnitude = torch.ones(length, pairs, dtype=torch.float64) if growth is None else torch.exp(
        t * torch.tensor(growth, dtype=torch.float64))
    turn = torch.polar(magnitude, t * f)
    z = torch.view_as_complex(x.detach().double().reshape(*x.shape[:-1], pairs, 2).contiguous())
    return torch.view_as_real(z * turn).reshape(x.shape).float()


def rope_frequencies(width, base_wavelength=10000.0):
    return [base_wavelength ** (-2.0 * i / width) for i in range(width // 2)]


def p_rope_frequencies(width, fraction):
    """Barbero et al. 2024: the highest round(p d/2) frequencies of RoPE, the rest 0."""
    return rope_frequencies(width)[:round(fraction * (width // 2))]


def xpos_growth(width, gamma=0.4, scale_base=512.0, sign=1.0):
    """Sun et al. 2022: zeta_i = (2i/d + gamma) / (1 + gamma); q scaled by zeta^(n/B), k by zeta^(-m/B)."""
    return [sign * math.log((2.0 * i / width + gamma) / (1.0 + gamma)) / scale_base
            for i in range(width // 2)]


def kerple_log_bias(p, length):
    """Chi et al. 2022: -r1 log(1 + r2 |i - j|), r clamped to >= 0.01."""
    n = torch.arange(length, dtype=torch.float32)
    distance = (n[:, None] - n[None, :]).abs()
    r1, r2 = p["positional.r1"].clamp(min=0.01), p["positional.r2"].clamp(min=0.01)
    return -r1 * torch.log1p(r2 * distance)


def kerple_log_by_loops(p, length):
    r1, r2 = p["positional.r1"].double().clamp(min=0.01), p["positional.r2"].double().clamp(min=0.01)
    heads = r1.shape[0]
    bias = torch.zeros(heads, length, length, dtype=torch.float64)
    for h in range(heads):
        for i in range(length):
            for j in range(length):
                bias[h, i, j] = -r1[h, 0, 0] * math.log(1 + r2[h, 0, 0].item() * abs(i - j))
    return bias


def fire_bias(p, length):
    """Li et al. 2023: f(psi(|i - j|) / psi(max(L, i))), psi(x) = log(c x + 1), f a ReLU MLP."""
    n = torch.arange(length, dtype=torch.float32)
    distance = (n[:, None] - n[None, :]).abs()[..., None]  # [T, S, 1]
    position = n[:, None, None]                              # [T, 1, 1]
    c = p["positional.c"].clamp(min=1e-3)
    threshold = p["positional.threshold"].clamp(min=1.0)
    normaliser = torch.where(position > threshold, position, threshold.expand(position.shape))
    x = torch.log1p(c * distance) / torch.log1p(c * normaliser)
    hidden = torch.relu(x @ p["positional.in_weight"] + p["positional.in_bias"])
    return (hidden @ p["positional.out_weight"] + p["positional.out_bias"]).permute(2, 0, 1)


def fire_by_loops(p, length):
    q = {name: value.detach().double() for name, value in p.items()}
    c, threshold = max(q["positional.c"].item(), 1e-3), max(q["positional.threshold"].item(), 1.0)
    heads = q["positional.out_bias"].shape[0]
    bias = torch.zeros(heads, length, length, dtype=torch.float64)
    for i in range(length):
        for j in range(length):
            x = math.log(1 + c * abs(i - j)) / math.log(1 + c * max(threshold, i))
            hidden = torch.relu(x * q["positional.in_weight"][0] + q["positional.in_bias"])
            bias[:, i, j] = hidden @ q["positional.out_weight"] + q["positional.out_bias"]
    return bias


# --- the cases -----------------------------------------------------------------------------

def latent_parameters(d_model, latent, width):
    """MLA (DeepSeek-V2, eqs. 9-11): kv_down [d_c, D] from the input, k_proj and v_proj
    [h d_k, d_c] from the latent; q_proj and o_proj as multi-head attention's."""
    params = base.attention_parameters(d_model)
    for name, (out_features, in_features) in {"kv_down": (latent, d_model), "k_proj": (width, latent),
                                              "v_proj": (width, latent)}.items():
        for suffix, shape in (("weight", (out_features, in_features)), ("bias", (out_features,))):
            params[f"{name}.{suffix}"] = base.random_parameter(f"{name}.{suffix}", shape).requires_grad_()
    return params


def research_case(file, name, *, attention="softmax", positional="none", attention_parameters="",
                  positional_parameters="", batch=2, length=5, d_model=16, heads=4, causal=True,
                  kv_latent=0):
    head_width = d_model // heads
    params = (latent_parameters(d_model, kv_latent, heads * head_width) if kv_latent
              else base.attention_parameters(d_model))
    params.update(variant_parameters(attention, heads, head_width))
    bias = None
    if positional == "kerple_log":
        params["positional.r1"] = (0.1 + 2.0 * torch.rand(heads, 1, 1)).requires_grad_()
        params["positional.r2"] = (0.1 + torch.rand(heads, 1, 1)).requires_grad_()
        bias = kerple_log_bias(params, length)
        base.require_close(f"{name}: bias vs loops (float64)", bias.double(),
                           kerple_log_by_loops(params, length))
    if positional == "fire":
        hidden = 8
        for parameter, shape, low, high in (("in_weight", (1, hidden), -1.0, 1.0),
                                            ("in_bias", (hidden,), -1.0, 1.0),
                                            ("out_weight", (hidden, heads), -0.5, 0.5),
                                            ("out_bias", (heads,), -0.5, 0.5),
                                            ("c", (), 0.05, 0.5), ("threshold", (), 2.0, 4.0)):
            params[f"positional.{parameter}"] = (low + (high - low) * torch.rand(shape)).requires_grad_()
        bias = fire_bias(params, length)
        base.require_close(f"{name}: bias vs loops (float64)", bias.double(), fire_by_loops(params, length))
    x = torch.randn(batch, length, d_model).requires_grad_()
    if kv_latent:
        latent = F.linear(x, params["kv_down.weight"], params["kv_down.bias"])

        def split(projection, source):
            y = F.linear(source, params[f"{projection}.weight"], params[f"{projection}.bias"])
            return y.reshape(batch, length, heads, head_width).transpose(1, 2)
        q, k, v = split("q_proj", x), split("k_proj", latent), split("v_proj", latent)
        # Cross-check: the two projections folded into one [h d_k, D] map of x.
        folded = params["k_proj.weight"] @ params["kv_down.weight"]
        folded_bias = params["k_proj.weight"] @ params["kv_down.bias"] + params["k_proj.bias"]
        base.require_close(f"{name}: k through the latent vs the folded projection", k,
                           F.linear(x, folded, folded_bias).reshape(
                               batch, length, heads, head_width).transpose(1, 2))
    else:
        q, k, v = base.project_heads(x, params, heads, heads, head_width)
    rotations = {"p_rope": (p_rope_frequencies(head_width, 0.5), None, None),
                 "xpos": (rope_frequencies(head_width), xpos_growth(head_width),
                          xpos_growth(head_width, sign=-1.0))}
    if positional in rotations:
        frequencies, q_growth, k_growth = rotations[positional]
        q_turned, k_turned = rotate(q, frequencies, q_growth), rotate(k, frequencies, k_growth)
        base.require_close(f"{name}: q rotated as complex numbers", q_turned,
                           rotate_complex(q, frequencies, q_growth), 1e-6)
        base.require_close(f"{name}: k rotated as complex numbers", k_turned,
                           rotate_complex(k, frequencies, k_growth), 1e-6)
        q, k = q_turned, k_turned
    if attention == "softmax":
        heads_out, weights = base.softmax_attention(q, k, v, causal, bias)
    else:
        forward, cross_check, _ = VARIANTS[attention]
        heads_out, weights = forward(q, k, v, causal, bias, params)
        base.require_close(f"{name}: {attention} vs its cross-check", heads_out.double(),
                           cross_check(q, k, v, causal, bias, params))
    if weights is not None:
        base.require_close(f"{name}: head outputs vs weights v", heads_out, weights @ v)
    concat = heads_out.transpose(1, 2).reshape(batch, length, d_model)
    output = F.linear(concat, params["o_proj.weight"], params["o_proj.bias"])

    group = file.create_group(name)
    base.write_attributes(group, d_model=d_model, heads=heads, kv_heads=heads,
                          head_width=head_width, causal=int(causal), kv_latent=kv_latent)
    group.attrs["attention"] = attention
    group.attrs["positional"] = positional
    group.attrs["attention_parameters"] = attention_parameters
    group.attrs["positional_parameters"] = positional_parameters
    if weights is not None:
        base.write_tensor(group, "weights", weights)
    base.write_case(group, {"x": x}, params, output, torch.randn(output.shape))


def write_research_cases(file):
    for attention, (_, _, parameters) in VARIANTS.items():
        research_case(file, f"{attention}_h4", attention=attention, attention_parameters=parameters)
    research_case(file, "p_rope_h4", positional="p_rope", positional_parameters="fraction=0.5")
    research_case(file, "xpos_h4", positional="xpos")
    research_case(file, "kerple_log_h4", positional="kerple_log")
    research_case(file, "mla_h4_latent6", kv_latent=6)
    research_case(file, "fire_h4", positional="fire", positional_parameters="hidden=8")
    # Selective attention's selection reads head 0's logits with the score bias, both ways.
    research_case(file, "selective_kerple_h4", attention="selective", positional="kerple_log")
    research_case(file, "selective_bidirectional_h4", attention="selective", causal=False)
