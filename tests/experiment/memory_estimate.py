"""The memory estimate that validation refuses trials by is an upper bound of a
real trial's peak memory, and not a wild one: measured <= estimate <= 4 x measured.
    memory_estimate.py ATTNLAB
"""
import os
import re
import resource
import subprocess
import sys
import tempfile

UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
EXPERIMENT = """\
model: {d_model: 64, ffn: 256, layers: 2}
heads: {count: 8}
task: {name: reverse, length: 64}
train: {steps: 3, batch: 32}
eval: {every: 0, batches: 1, lengths: [256]}
"""

attnlab = sys.argv[1]
with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "estimate.yaml")
    with open(path, "w") as f:
        f.write(EXPERIMENT)
    said = subprocess.run([attnlab, "validate", path], check=True, capture_output=True, text=True).stdout
    value, unit = re.search(r"the largest needs about ([0-9.]+) (\w+)", said).groups()
    estimate = float(value) * UNITS[unit]
    subprocess.run([attnlab, "run", path, "-q", "-j", "1", "-o", f"output={work}/out"], check=True,
                   capture_output=True)
    measured = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest process
    print(f"estimate {estimate / 2**20:.0f} MiB, measured peak {measured / 2**20:.0f} MiB")
    assert measured <= estimate <= 4 * measured, "the estimate is not a close upper bound"
