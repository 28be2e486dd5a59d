"""attnlab.plan and attnlab.run on a real experiment (tests/python/tiny.yaml).

plan() gives the trials `attnlab plan` lists; run() trains them in worker
processes with the GIL released (a heartbeat thread keeps ticking throughout),
writes its progress to sys.stderr, returns the output directory opened with
every trial finished as trials.csv says, and a second run resumes: it trains
nothing again. The run it leaves in OUTPUT_DIR is the fixture of the other
Python checks. Usage: check_run.py ATTNLAB OUTPUT_DIR
"""
import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys

import attnlab
from heartbeat import Heartbeat

attnlab_cli, out = sys.argv[1], os.path.abspath(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
experiment = os.path.join(here, "tiny.yaml")
overrides = [f"output={out}"]
shutil.rmtree(out, ignore_errors=True)

# plan(): the trials `attnlab plan` lists (index, id, seed, arm), nothing run.
planned = attnlab.plan(experiment, overrides=overrides)
listed = subprocess.run([attnlab_cli, "plan", experiment, "-o", overrides[0]], check=True,
                        capture_output=True, text=True).stdout.splitlines()[2:]
assert [(str(t["index"]), t["id"], str(t["seed"]), t["arm"]) for t in planned] == \
    [tuple(line.split()) for line in listed], (planned, listed)
assert [t["axes"] for t in planned] == [{"heads.count": "1"}] * 2 + [{"heads.count": "2"}] * 2
assert all(t["tuned"] is None for t in planned)
assert not os.path.exists(out), "plan() must run nothing"

# run(): the GIL released throughout, progress on sys.stderr.
progress = io.StringIO()
with Heartbeat() as heartbeat, contextlib.redirect_stderr(progress):
    run, seconds, ticks = heartbeat.during(attnlab.run, experiment, overrides=overrides, jobs=2)
shown = progress.getvalue()
print(shown)
print(f"run: {seconds:.2f} s, {ticks} heartbeats meanwhile")
assert ticks >= max(5, 0.2 * seconds / heartbeat.period), \
    "the heartbeat stopped during attnlab.run: the GIL was held"
for line in ["start  #0 heads.count=1 seed 0", "done   #3 heads.count=2 seed 1",
             "4 of 4 trials finished", f"output: {out}"]:
    assert line in shown, (line, shown)

assert isinstance(run, attnlab.Output) and run.directory == out, run
assert [t.id for t in run.trials] == [t["id"] for t in planned]
assert [t.status for t in run.trials] == ["finished"] * 4, run.trials
with open(os.path.join(out, "trials.csv")) as f:
    assert [(row["id"], row["status"]) for row in csv.DictReader(f)] == \
        [(t.id, t.status) for t in run.trials]

# A second run of the same plan resumes: every trial is finished, none is trained again.
written = {t.id: os.stat(t.file).st_mtime_ns for t in run.trials}
progress = io.StringIO()
with contextlib.redirect_stderr(progress):
    again = attnlab.run(experiment, overrides=overrides, quiet=True)
assert "start" not in progress.getvalue(), progress.getvalue()
assert {t.id: os.stat(t.file).st_mtime_ns for t in again.trials} == written
print("attnlab.plan and attnlab.run: OK")
