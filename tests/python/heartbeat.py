"""A thread that ticks every few milliseconds: while a call runs with the GIL
held it cannot tick at all, so ticks counted during a call show that the call
released the GIL."""
import threading
import time


class Heartbeat:
    def __init__(self, period=0.005):
        self.period = period
        self.ticks = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self._stop.is_set():
            self.ticks.append(time.monotonic())
            time.sleep(self.period)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def during(self, call, *args, **kwargs):
        """(call's result, its seconds, the ticks that happened while it ran)."""
        time.sleep(3 * self.period)  # the thread is ticking before the call starts
        start = time.monotonic()
        result = call(*args, **kwargs)
        end = time.monotonic()
        return result, end - start, sum(1 for t in list(self.ticks) if start < t < end)
