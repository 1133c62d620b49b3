"""What the worker process sets in its own environment before the models load."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit
PROBE = ("import os, workers.celery_app, torch\n"
         "print(os.environ.get('MKL_FAST_MEMORY_LIMIT'))\n")


def _probe(**env: str) -> str:
    environment = {name: value for name, value in os.environ.items()
                   if name != "MKL_FAST_MEMORY_LIMIT"}
    done = subprocess.run([sys.executable, "-c", PROBE], env={**environment, **env},
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_the_worker_bounds_mkls_buffer_cache_before_torch_loads() -> None:
    """MKL's cache of matrix-product buffers grew a models worker's memory for good
    (`workers/celery_app.py`); the worker's app module bounds it for its process."""
    assert _probe() == "16"  # MiB (`MKL_CACHE_LIMIT_MB`)


def test_an_operators_own_setting_is_kept() -> None:
    assert _probe(MKL_FAST_MEMORY_LIMIT="64") == "64"
