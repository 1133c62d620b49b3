"""A serving process's long-lived objects, kept out of the garbage collector's full passes.

A models worker holds about 530,000 objects the collector tracks once the embedding model is
imported (transformers' and torch's modules: functions, tuples, dicts), and none of them
ever becomes garbage. CPython's full collection walks every one of them: in a recipe
worker ~115 ms a pass with the interpreter lock held, every thread stopped; a batch of
1,000 briefs paid about ten such passes, a tenth of the worker's CPU. Moved into the
collector's permanent generation after warm-up (`gc.freeze`, the practice of large Python
services), they are skipped; what is created later is collected as before (the young
generations, and full passes over what is not frozen).

Objects frozen here that later drop out of use inside a reference cycle are never collected:
call this once a process's long-lived state is built (after warm-up), not per job."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what warm-up left behind, then freeze every object alive now."""
    gc.collect()
    gc.freeze()
