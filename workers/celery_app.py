"""Entry point for `celery -A workers.celery_app worker`: the app built from settings."""

from __future__ import annotations

from workers.malloc_arenas import limit_malloc_arenas

limit_malloc_arenas()  # before any pool starts a thread

from config import load_settings  # noqa: E402
from workers.app import create_celery  # noqa: E402

app = create_celery(load_settings())
