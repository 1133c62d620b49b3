"""A serving process's long-lived objects, kept out of the garbage collector's full passes.

A models worker holds about 550,000 objects the collector tracks once the embedding model is
imported (transformers' and torch's modules: functions, tuples, dicts), and none of them
ever becomes garbage. CPython's full collection walks every one of them, 150-340 ms a pass
with the interpreter lock held, every thread of the process stopped (claims, heartbeats,
the micro-batchers). A worker passes through ten of them while it starts; serving, it
meets one only when a quarter as many objects again have survived since the last (caches
filling, model versions loaded), rarely, but then every job in flight waits. Moved into
the collector's permanent generation after warm-up (`gc.freeze`, the practice of large
Python services), they are skipped: a full pass after it took 6-33 ms. What is created
later is collected as before. (Measured with `gc.callbacks` in every process of `fragrance
bench recipe`; throughput did not move measurably: 0.48x and 1.50x with it against 0.52x
and 1.41x without, one sitting, within the host's spread.)

Objects frozen here that later drop out of use inside a reference cycle are never collected:
call this once a process's long-lived state is built (after warm-up), not per job."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what warm-up left behind, then freeze every object alive now."""
    gc.collect()
    gc.freeze()
