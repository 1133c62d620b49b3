"""Entry point for `celery -A workers.celery_app worker`: the app built from settings."""

from __future__ import annotations

import os

# MKL (torch's CPU matrix products) keeps the work buffers of matrix products for reuse,
# and micro-batches come in every shape (1 to 64 texts, each length): a models worker's
# malloc'd memory grew without levelling off (`make soak`: +4.6 % in 12 min, ~3 MiB a
# minute). Turning the cache off (MKL_DISABLE_FAST_MM=1) made memory flat but cost a third
# of the search throughput (`fragrance bench search`, drain 53 -> 36 jobs/s); a bound on
# it keeps both. Set before torch loads MKL; an operator's own value wins.
MKL_CACHE_LIMIT_MB = "16"
os.environ.setdefault("MKL_FAST_MEMORY_LIMIT", MKL_CACHE_LIMIT_MB)

from config import load_settings  # noqa: E402  (after the environment MKL reads)
from workers.app import create_celery  # noqa: E402

app = create_celery(load_settings())
