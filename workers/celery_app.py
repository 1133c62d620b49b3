"""Entry point for `celery -A workers.celery_app worker`: the app built from settings."""

from __future__ import annotations

import os

# MKL (torch's CPU matrix products) keeps the work buffers of each matrix product's shapes
# for reuse, and micro-batches come in every shape (1 to 64 texts, each length): a models
# worker's malloc'd memory grew without levelling off (`make soak`: +4.6 % in 12 min, ~3 MiB
# a minute); without the cache it is flat (+0.5 %) at no measurable cost to latency. Set
# before torch loads MKL; an operator's own value wins.
os.environ.setdefault("MKL_DISABLE_FAST_MM", "1")

from config import load_settings  # after the environment MKL reads
from workers.app import create_celery

app = create_celery(load_settings())
