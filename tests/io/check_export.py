"""attnlab export, read without attnlab: a real trial's model.safetensors parsed
by hand (the 8-byte header length, the JSON header, numpy.frombuffer) holds
every parameter of the trial file bit for bit under its dotted name, and
config.json holds its resolved configuration with the right types; a file that
is not a trial is refused with its name. Usage: check_export.py ATTNLAB"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

attnlab = sys.argv[1]
work = tempfile.mkdtemp()
try:
    experiment = os.path.join(work, "tiny.yaml")
    with open(experiment, "w") as f:
        f.write("model: {architecture: encoder, d_model: 16, layers: 2, ffn: 32}\n"
                "heads: {count: 4}\n"
                "positional: {kind: rope}\n"
                "task: {name: multi_offset_copy, symbols: 4, length: 8, offsets: '3'}\n"
                "train: {steps: 3, warmup: 1, lr: 1.0e-3}\neval: {every: 0, batches: 1}\nseeds: 1\n")
    run = os.path.join(work, "run")
    subprocess.run([attnlab, "run", experiment, "-q", "-o", f"output={run}"], check=True,
                   stdout=subprocess.DEVNULL)
    trials = os.path.join(run, "trials")
    [trial] = [os.path.join(trials, n) for n in os.listdir(trials) if n.endswith(".h5")]
    out = os.path.join(work, "exported")
    printed = subprocess.run([attnlab, "export", trial, "--output", out], check=True,
                             capture_output=True, text=True).stdout
    assert "model.safetensors" in printed and "config.json" in printed, printed

    with open(os.path.join(out, "model.safetensors"), "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    assert header_length % 8 == 0, header_length
    header = json.loads(data[8:8 + header_length])
    body = data[8 + header_length:]
    metadata = header.pop("__metadata__")
    assert metadata["format"] == "attnlab" and "d_model: 16" in metadata["config_yaml"], metadata
    with h5py.File(trial) as f:
        stored = {}
        f["parameters"].visititems(
            lambda name, item: stored.__setitem__(name.replace("/", "."), item[()])
            if isinstance(item, h5py.Dataset) else None)
        trial_id = f.attrs["trial_id"]
    assert sorted(header) == sorted(stored), (sorted(header), sorted(stored))
    for name, entry in header.items():
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype="<f4").reshape(entry["shape"])
        assert values.tobytes() == stored[name].astype("<f4").tobytes(), name  # bit for bit
    assert "encoder.layers.1.self_attn.q_proj.weight" in header, sorted(header)

    with open(os.path.join(out, "config.json")) as f:
        config = json.load(f)
    assert config["trial_id"] == (trial_id.decode() if isinstance(trial_id, bytes) else trial_id)
    assert config["config"]["model"]["d_model"] == 16 and config["config"]["heads"]["count"] == 4
    assert config["config"]["positional"]["kind"] == "rope"
    assert config["config"]["train"]["lr"] == 1.0e-3
    assert config["parameters"]["encoder.layers.1.self_attn.q_proj.weight"] == [16, 16], config
    assert config["tied"] == {}
    # Typed by each key's declaration, not by how its text looks: offsets is text.
    assert config["config"]["task"]["offsets"] == "3", config["config"]["task"]
    assert config["config"]["train"]["clip"] == 1.0 and config["config"]["train"]["steps"] == 3
    assert isinstance(config["config"]["train"]["steps"], int)

    # Inside a run's output directory: refused (the run's later runs would refuse the folder).
    inside = os.path.join(run, "exported")
    result = subprocess.run([attnlab, "export", trial, "--output", inside], capture_output=True,
                            text=True)
    assert result.returncode == 1 and "inside the output directory of a run" in result.stderr
    assert not os.path.exists(inside)

    # A damaged (here truncated) trial file: refused with its name, nothing written.
    damaged = os.path.join(work, "damaged.h5")
    raw = open(trial, "rb").read()
    open(damaged, "wb").write(raw[:len(raw) * 2 // 3])
    result = subprocess.run([attnlab, "export", damaged, "--output", os.path.join(work, "no")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and damaged in result.stderr, result.stderr
    assert not os.path.exists(os.path.join(work, "no"))

    # A checkpoint of attnlab train stores its configuration: it exports as a trial does,
    # under the id its configuration hashes to.
    checkpoint = os.path.join(work, "model.h5")
    subprocess.run([attnlab, "train", "--steps", "2", "--checkpoint", checkpoint], check=True,
                   stdout=subprocess.DEVNULL)
    from_checkpoint = os.path.join(work, "from_checkpoint")
    subprocess.run([attnlab, "export", checkpoint, "--output", from_checkpoint], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(from_checkpoint, "config.json")) as f:
        exported_config = json.load(f)
    assert len(exported_config["trial_id"]) == 16 and exported_config["arm"] == "", exported_config
    assert exported_config["seed"] == 0 and exported_config["config"]["model"]["d_model"] == 64

    # No model to export: refused with its name, nothing written.
    bare = os.path.join(work, "bare.h5")  # a checkpoint without its configuration
    with h5py.File(bare, "w") as f:
        f.attrs["kind"] = "checkpoint"
        f.attrs["attnlab_checkpoint_schema"] = np.int64(1)
        f["parameters/lm_head/weight"] = np.zeros((2, 2), dtype="f4")
    for bad in (os.path.join(run, "results.h5"), experiment, bare):
        result = subprocess.run([attnlab, "export", bad, "--output", os.path.join(work, "no")],
                                capture_output=True, text=True)
        assert result.returncode == 1 and bad in result.stderr, (result.returncode, result.stderr)
        assert not os.path.exists(os.path.join(work, "no")), os.listdir(work)
    print(f"export: {len(header)} tensors read by NumPy bit for bit, config.json typed: ok")
finally:
    shutil.rmtree(work)
