"""Every attnlab error reaches Python as an exception carrying attnlab's
message, never a crash: a missing, a truncated and a wrong kind of file for
Model.load (attnlab.IoError), token ids outside the vocabulary and of the
wrong type, a misspelled override key (attnlab.ConfigError, a ValueError too),
each naming what was found and what was expected. And Ctrl-C (SIGINT) stops
attnlab.run as it stops `attnlab run`, then raises KeyboardInterrupt with
Python's own handler back in place, and the next run of the same process
runs to the end. Usage: check_errors.py OUTPUT_DIR (the run of check_run.py)
"""
import atexit
import contextlib
import io
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

import attnlab
from expectations import refused

out = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
experiment = os.path.join(here, "tiny.yaml")
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)


assert issubclass(attnlab.Error, RuntimeError)
assert issubclass(attnlab.ConfigError, attnlab.Error)
assert issubclass(attnlab.ConfigError, ValueError)
assert issubclass(attnlab.IoError, attnlab.Error) and issubclass(attnlab.ShapeError, ValueError)

# Files that hold no model to load.
missing = os.path.join(work, "missing.h5")
refused(attnlab.IoError, [missing], attnlab.Model.load, missing)
trial_file = attnlab.open(out).trials[0].file
truncated = os.path.join(work, "truncated.h5")
with open(trial_file, "rb") as source, open(truncated, "wb") as target:
    target.write(source.read()[: os.path.getsize(trial_file) // 2])
refused(attnlab.IoError, [truncated], attnlab.Model.load, truncated)
refused(attnlab.IoError, ["results.h5", "holds no trained model"], attnlab.Model.load,
        os.path.join(out, "results.h5"))
refused(attnlab.IoError, ["plan.yaml"], attnlab.Model.load, os.path.join(out, "plan.yaml"))

# Tokens the model cannot read.
model = attnlab.Model.load(trial_file)
refused(attnlab.ConfigError,
        ["tokens: token 99 at [1, 2] is outside the model's vocabulary (ids 0 to 6)"],
        model.run_with_cache, [[0, 1, 2], [3, 4, 99]])
refused(ValueError, ["tokens: token -1 at [0, 0]"], model.run_with_cache, [-1, 2])
refused(ValueError, ["dtype float64, expected integer token ids"], model.run_with_cache,
        [[0.5, 1.0]])
refused(ValueError, ["expected at least one token"], model.run_with_cache, [])
refused(ValueError, ["3 dimensions"], model.run_with_cache, [[[1]]])
refused(ValueError, ["prompt: token 7 at [0, 1]"], model.generate, [1, 7])
refused(ValueError, ["target_input: a decoder reads tokens alone"], model.run_with_cache, [1],
        target_input=[1])
refused(ValueError, ["lengths: row 0 has length 4, expected 1 to 3"], model.run_with_cache,
        [[1, 2, 3]], lengths=[4])

# Experiments that cannot work: named by file, key and the closest valid key.
refused(attnlab.ConfigError, ["model.d_modle: unknown key (did you mean 'd_model'?)"],
        attnlab.plan, experiment, overrides=["model.d_modle=8"])
refused(ValueError, ["tiny.yaml", "d_model = 9 must be even"], attnlab.plan, experiment,
        overrides=["model.d_model=9"])
no_file = os.path.join(work, "none.yaml")
refused(attnlab.Error, [no_file], attnlab.plan, no_file)
bad_output = os.path.join(work, "never")
refused(attnlab.ConfigError, ["train.stesp"], attnlab.run, experiment,
        overrides=["train.stesp=3", f"output={bad_output}"])
assert not os.path.exists(bad_output), "a refused run wrote its output directory"
refused(attnlab.ConfigError, ["jobs and retries must be >= 0"], attnlab.run, experiment, jobs=-1)
refused(attnlab.ConfigError, ["plugin", "/nonexistent/p.so"], attnlab.load_plugins,
        "/nonexistent/p.so")

# Ctrl-C: the run stops at the trials' next step, KeyboardInterrupt follows, and Python's
# handler is back.
stopped = os.path.join(work, "stopped")
long_run = [f"output={stopped}", "train.steps=200000", "eval.every=0"]
progress = io.StringIO()


def interrupt_when_training():
    for _ in range(600):
        if "start  #" in progress.getvalue():
            break
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)


started = time.monotonic()
threading.Thread(target=interrupt_when_training, daemon=True).start()
with contextlib.redirect_stderr(progress):
    error = refused(KeyboardInterrupt, ["stopped by a signal", stopped], attnlab.run, experiment,
                    overrides=long_run, jobs=2)
print(progress.getvalue())
assert time.monotonic() - started < 60, "the stop took too long"
assert "stopped #" in progress.getvalue() and "the next run takes it up again" in progress.getvalue()
handler = signal.getsignal(signal.SIGINT)
assert handler is signal.default_int_handler, handler
assert not any(name.endswith(".h5") for name in os.listdir(os.path.join(stopped, "trials")))

# The next run in this process is not stopped by that signal: it runs to the end.
short_run = [f"output={stopped}", "train.steps=5", "eval.every=0"]
with contextlib.redirect_stderr(io.StringIO()):
    finished = attnlab.run(experiment, overrides=short_run, force=True, quiet=True)
assert [t.status for t in finished.trials] == ["finished"] * 4
print("errors and interruptions: OK")
