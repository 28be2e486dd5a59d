"""Safetensors files of float32 tensors, read and written by hand (the format:
an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and data_offsets, then the data), as attnlab export writes them."""
import json
import os
import struct
import tempfile

import numpy as np
import torch

__all__ = ["read_safetensors", "write_safetensors"]


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
