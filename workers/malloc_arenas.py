"""Fewer glibc malloc arenas in the API's and the workers' processes.

glibc gives threads their own malloc arenas, up to eight per core, and an arena keeps what
it freed. A worker's thread pools grow on demand to the most jobs ever run at once, so each
new peak brought new arenas and the models worker's memory stepped up with its thread
count (49 -> 75 threads, 701 -> 724 MiB over a 36-minute soak; flat once the count was).
Measured in one process holding the embedding model (80 threads started one after another,
each encoding one batch): 512 -> 782 MiB with glibc's default, 510 -> 688 MiB with two
arenas; threads that only run Python: 510 -> 518 MiB against 511 -> 513. A threaded API
process under batches of 300 briefs and 2 MB uploads from 8 clients: 116 -> 210 MiB with
glibc's default, 116 -> 160 MiB with two arenas, and flat. Two is the usual
setting for threaded Python servers; `MALLOC_ARENA_MAX` in the environment, which glibc
reads itself, wins."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = ARENAS, children: bool = False) -> bool:
    """Cap glibc's malloc arenas for the threads this process starts from now on; True when
    set here. With `children`, the processes it starts are capped too (glibc reads the
    environment when a process starts). Not glibc (musl, macOS), or the environment already
    chose: nothing to do."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    if children:
        os.environ["MALLOC_ARENA_MAX"] = str(arenas)
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
