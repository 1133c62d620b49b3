"""ASGI entry point for `uvicorn api.main:app` (settings from the environment)."""

from __future__ import annotations

from api.app import create_app
from config import load_settings

app = create_app(load_settings())
