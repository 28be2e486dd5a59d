"""Reads an attnlab checkpoint with h5py alone and loads it into PyTorch layers.

usage: check_checkpoint.py CHECKPOINT D_MODEL VOCAB LAYERS
"""
import sys

import h5py
import torch

path, d_model, vocab, layers = sys.argv[1], *map(int, sys.argv[2:])
with h5py.File(path, "r") as f:
    assert f.attrs["attnlab_checkpoint_schema"] == 1, dict(f.attrs)
    params = f["parameters"]
    assert params["decoder/embed/tokens/weight"].shape == (vocab, d_model)
    assert params["lm_head/weight"].shape == (vocab, d_model)
    for i in range(layers):
        attn = params[f"decoder/layers/{i}/self_attn"]
        # (out_features, in_features) as nn.Linear: the weights load without a transpose.
        linear = torch.nn.Linear(d_model, d_model)
        linear.load_state_dict({"weight": torch.from_numpy(attn["q_proj/weight"][()]),
                                "bias": torch.from_numpy(attn["q_proj/bias"][()])})
    head = torch.nn.Linear(d_model, vocab)
    head.load_state_dict({"weight": torch.from_numpy(params["lm_head/weight"][()]),
                          "bias": torch.from_numpy(params["lm_head/bias"][()])})
    assert torch.isfinite(head.weight).all()
print("checkpoint read by h5py and loaded into torch.nn.Linear")
