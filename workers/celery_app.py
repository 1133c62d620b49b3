"""Entry point for `celery -A workers.celery_app worker`: the app built from settings."""

from __future__ import annotations

from config import load_settings
from workers.app import create_celery

app = create_celery(load_settings())
