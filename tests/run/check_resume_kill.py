#!/usr/bin/python3
"""A trial killed with kill -9 at a random step resumes from its last
checkpoint (train.checkpoint_every) and ends bit-identical to a run that was
never stopped: every dataset (metrics, recorded snapshots before and after the
kill, parameters of every snapshot and the last) and every final figure. A damaged resume point is set
aside, never taken: the trial starts over and still ends the same.

usage: check_resume_kill.py ATTNLAB"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import h5py

ATTNLAB = sys.argv[1]
EXPERIMENT = """
name: resume_kill
model: {d_model: 32, layers: 2, ffn: 64, dropout: 0.1}
positional: {randomized: 48}
task: {name: reverse, length: 8}
train: {steps: 1200, batch: 16, warmup: 20, checkpoint_every: 40, threads: 1}
eval: {every: 100, batches: 2, lengths: [6]}
record: {tensors: ['**.self_attn.weights', logits], every: 150, examples: 4, parameters: true}
seeds: [3]
"""


def run(folder, output, check=True):
    return subprocess.run([ATTNLAB, "run", os.path.join(folder, "x.yaml"), "-q", "-j", "1",
                           "-o", f"output={output}"], capture_output=True, text=True,
                          check=check, timeout=600)


def trial_file(output):
    trials = os.path.join(output, "trials")
    (name,) = [n for n in os.listdir(trials) if n.endswith(".h5")]
    return os.path.join(trials, name)


def contents(path):
    """Every dataset's bytes and the final figures and configuration of a trial file."""
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()].tobytes())
                     if isinstance(obj, h5py.Dataset) else None)
        found["/final"] = sorted((k, float(v)) for k, v in f["final"].attrs.items())
        found["/config_yaml"] = f.attrs["config_yaml"]
        resumed = f.attrs.get("resumed_from_step")
    return found, resumed


def kill_at_random_step(folder, output, rng, *overrides):
    """Starts a run, kills its whole process group with SIGKILL at a random
    moment after the first checkpoint, and returns the step it had reached."""
    process = subprocess.Popen([ATTNLAB, "run", os.path.join(folder, "x.yaml"), "-q", "-j", "1",
                                "-o", f"output={output}", *overrides], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    trials = os.path.join(output, "trials")
    deadline = time.monotonic() + 120
    while not (os.path.isdir(trials) and any(n.endswith(".resume") for n in os.listdir(trials))):
        assert time.monotonic() < deadline, "no resume point was written within 120 s"
        assert process.poll() is None, "the run ended before its first checkpoint"
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 1.0))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not any(n.endswith(".h5") for n in os.listdir(trials)), \
        "the trial finished before the kill: make it longer"
    (resume,) = [n for n in os.listdir(trials) if n.endswith(".resume")]
    with h5py.File(os.path.join(trials, resume), "r") as f:
        assert f.attrs["kind"] == "training_state"
        return int(f.attrs["step"])


def main():
    seed = int(os.environ.get("ATTNLAB_TEST_SEED", time.time_ns() % 100000))
    rng = random.Random(seed)
    print(f"random seed {seed} (ATTNLAB_TEST_SEED={seed} repeats this run)")
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "x.yaml"), "w") as f:
            f.write(EXPERIMENT)
        whole = os.path.join(folder, "whole")
        run(folder, whole)
        expected, never_resumed = contents(trial_file(whole))
        assert never_resumed is None

        killed = os.path.join(folder, "killed")
        step = kill_at_random_step(folder, killed, rng)
        print(f"killed after its checkpoint at step {step}")
        assert 40 <= step < 1200 and step % 40 == 0
        run(folder, killed)
        found, resumed = contents(trial_file(killed))
        assert resumed == step, (resumed, step)
        differing = sorted(name for name in expected if found.get(name) != expected[name])
        assert not differing, f"differ after resuming at step {step}: {differing[:8]}"
        assert set(found) == set(expected), set(found) ^ set(expected)
        assert not any(n.endswith(".resume") for n in os.listdir(os.path.join(killed, "trials")))
        log = open(os.path.join(killed, "trials", os.path.basename(trial_file(killed))[:-3] +
                                ".log")).read()
        assert f"resumed at step {step}" in log, log[-400:]
        print(f"resumed at step {step}: {len(expected)} datasets and figures bit-identical")

        damaged = os.path.join(folder, "damaged")
        step = kill_at_random_step(folder, damaged, rng)
        trials = os.path.join(damaged, "trials")
        (resume,) = [n for n in os.listdir(trials) if n.endswith(".resume")]
        with open(os.path.join(trials, resume), "r+b") as f:  # a value's bytes changed
            f.seek(os.path.getsize(os.path.join(trials, resume)) // 2)
            f.write(b"\x55\xaa\x55\xaa")
        run(folder, damaged)
        log = open(os.path.join(trials, resume[:-len(".resume")] + ".log")).read()
        assert "starts from step 0" in log and resume in log, log[-600:]
        assert os.path.exists(os.path.join(trials, resume + ".unusable"))
        found, resumed = contents(trial_file(damaged))
        assert resumed is None
        assert found == expected, "a trial started over after a damaged resume point differs"
        print(f"a damaged resume point (step {step}) was set aside; the trial started over")

        # Another trial's resume point under this trial's name: refused, and the trial
        # starts from its own initialization, not from the other's parameters.
        other = os.path.join(folder, "other")
        kill_at_random_step(folder, other, rng, "-o", "seeds=[4]")
        foreign = os.path.join(folder, "foreign")
        kill_at_random_step(folder, foreign, rng)
        trials = os.path.join(foreign, "trials")
        (resume,) = [n for n in os.listdir(trials) if n.endswith(".resume")]
        (theirs,) = [n for n in os.listdir(os.path.join(other, "trials")) if n.endswith(".resume")]
        os.replace(os.path.join(other, "trials", theirs), os.path.join(trials, resume))
        run(folder, foreign)
        log = open(os.path.join(trials, resume[:-len(".resume")] + ".log")).read()
        assert "starts from step 0" in log and theirs[:-len(".resume")] in log, log[-600:]
        found, resumed = contents(trial_file(foreign))
        assert resumed is None and found == expected, "another trial's resume point leaked in"
        print("another trial's resume point was refused; the trial started from its own start")


main()
