"""A worker caps glibc's malloc arenas at two (`workers.malloc_arenas`): threads started
afterwards share them instead of each getting its own, which kept what it freed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workers.malloc_arenas import ARENAS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

THREADS = 8
PROGRAM = f"""
import ctypes, ctypes.util, sys, threading
from workers.malloc_arenas import limit_malloc_arenas
print(limit_malloc_arenas() if sys.argv[1] == "limit" else None)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
together = threading.Barrier({THREADS})
def allocate():
    together.wait()
    block = libc.malloc(65536)
    together.wait()
    libc.free(ctypes.c_void_p(block))
threads = [threading.Thread(target=allocate) for _ in range({THREADS})]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc.malloc_stats()  # one "Arena N:" section per arena, on stderr
"""


def arenas_after_threads(mode: str, **env: str) -> tuple[str, int]:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True,
                          text=True, timeout=60, env=environment, check=True)
    return done.stdout.strip(), done.stderr.count("Arena ")


def test_threads_share_two_arenas_once_capped() -> None:
    said, arenas = arenas_after_threads("limit")
    assert said == "True"
    assert arenas == ARENAS


def test_without_the_cap_threads_get_arenas_of_their_own() -> None:
    """What the cap prevents (the test's own control)."""
    _, arenas = arenas_after_threads("default")
    assert arenas > ARENAS


def test_the_environment_wins() -> None:
    said, arenas = arenas_after_threads("limit", MALLOC_ARENA_MAX="4")
    assert said == "False"
    assert arenas == 4


def test_the_processes_it_starts_are_capped_too() -> None:
    """`fragrance run`, `api` and `worker` cap their children as well (glibc reads the
    environment when a process starts): a child started after the call gets two arenas."""
    program = ("import os, subprocess, sys\n"
               "from workers.malloc_arenas import limit_malloc_arenas\n"
               "limit_malloc_arenas(children=True)\n"
               f"subprocess.run([sys.executable, '-c', {PROGRAM!r}, 'default'], check=True)\n")
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60, env=environment, check=True)
    assert done.stderr.count("Arena ") == ARENAS
