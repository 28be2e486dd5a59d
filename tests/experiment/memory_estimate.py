"""The memory estimate that validation refuses trials by is an upper bound of a
real trial's peak memory, and not a wild one: measured <= estimate <= 4 x measured,
for trials dominated by evaluation at a long length (shallow and deep), by
training activations and by recorded activations waiting to be written.
    memory_estimate.py ATTNLAB
"""
import os
import re
import subprocess
import sys
import tempfile

UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
CASES = {
    "long evaluation, 2 layers": """\
model: {d_model: 64, ffn: 256, layers: 2}
heads: {count: 8}
task: {name: reverse, length: 64}
train: {steps: 3, batch: 32}
eval: {every: 0, batches: 1, lengths: [256]}
""",
    "long evaluation, 8 layers": """\
model: {d_model: 64, ffn: 256, layers: 8}
heads: {count: 4}
task: {name: reverse, length: 16}
train: {steps: 2, batch: 32}
eval: {every: 0, batches: 1, lengths: [320]}
""",
    "training activations": """\
model: {d_model: 96, ffn: 384, layers: 3}
heads: {count: 4}
task: {name: reverse, length: 64}
train: {steps: 2, batch: 48}
eval: {every: 0, batches: 1}
""",
    # A snapshot of 170 MB: the writer thread's queue fills to its limit.
    "recording every tensor of 2048 examples": """\
model: {d_model: 16, ffn: 32, layers: 1}
heads: {count: 8}
task: {name: reverse, length: 16}
train: {steps: 2, batch: 8}
eval: {every: 0, batches: 1}
record: {tensors: ['**'], examples: 2048}
""",
}


def peak_bytes(command):
    """Peak resident memory of the command's largest process (itself or a worker)."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, child.stderr.read().decode()
    return usage.ru_maxrss * 1024


attnlab = sys.argv[1]
failures = []
with tempfile.TemporaryDirectory() as work:
    for index, (name, text) in enumerate(CASES.items()):
        path = os.path.join(work, f"case{index}.yaml")
        with open(path, "w") as f:
            f.write(text)
        said = subprocess.run([attnlab, "validate", path], check=True, capture_output=True,
                              text=True).stdout
        value, unit = re.search(r"the largest needs about ([0-9.]+) (\w+)", said).groups()
        estimate = float(value) * UNITS[unit]
        measured = peak_bytes([attnlab, "run", path, "-q", "-j", "1", "-o", f"output={work}/out{index}"])
        print(f"{name}: estimate {estimate / 2**20:.0f} MiB, measured peak {measured / 2**20:.0f} MiB")
        if not measured <= estimate <= 4 * measured:
            failures.append(name)
assert not failures, f"the estimate is not a close upper bound for: {', '.join(failures)}"
