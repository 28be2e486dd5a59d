"""The long calls of attnlab.Model release the GIL: a heartbeat thread keeps
ticking during a long forward pass and during a long generation (with the
GIL held it could not tick at all; attnlab.run's heartbeat is in
check_run.py). Usage: check_gil.py OUTPUT_DIR (the run of check_run.py)
"""
import sys

import numpy as np

import attnlab
from heartbeat import Heartbeat

model = attnlab.open(sys.argv[1]).trials[2].model()
rng = np.random.default_rng(0)


def released_during(heartbeat, call, *args, **kwargs):
    """Runs `call` (longer each time until it takes 0.3 s) and checks the heartbeat ticked."""
    for _ in range(12):
        result, seconds, ticks = heartbeat.during(call, *args, **kwargs)
        if seconds >= 0.3:
            print(f"{call.__name__}: {seconds:.2f} s, {ticks} heartbeats meanwhile")
            assert ticks >= max(10, 0.2 * seconds / heartbeat.period), \
                f"the heartbeat stopped during {call.__name__}: the GIL was held"
            return result
        args = (np.concatenate([args[0], args[0]]),) + args[1:]  # twice the batch
    raise AssertionError(f"{call.__name__} never took 0.3 s")


with Heartbeat() as heartbeat:
    tokens = rng.integers(0, model.vocab_size, size=(256, 11))
    logits, cache = released_during(heartbeat, model.run_with_cache, tokens, names=["**.weights"])
    assert logits.shape[1:] == (11, 7)
    generated = released_during(heartbeat, model.generate, tokens[:, :6], max_tokens=60)
    assert generated.shape[1] == 60
print("the GIL is released during long calls: OK")
