"""Entry point for `celery -A workers.celery_app worker`: the app built from settings."""

from __future__ import annotations

from workers.malloc_arenas import limit_malloc_arenas

limit_malloc_arenas()  # before any pool starts a thread

import warnings  # noqa: E402

from celery.exceptions import SecurityWarning  # noqa: E402

from config import load_settings  # noqa: E402
from workers.app import create_celery  # noqa: E402
from workers.signals import runs_as_root  # noqa: E402

if runs_as_root():
    # Celery warns of it in seven lines from every worker, on stderr, in no log format; the
    # worker's ready line says it instead (`workers.signals`). The images run as user 10001.
    warnings.filterwarnings("ignore", category=SecurityWarning)

app = create_celery(load_settings())
