"""Headless Chromium for the operator-view tests: Debian's `chromium` (installed with apt by
`deploy/dev/ensure-deploy-tools.sh` when missing, the way CI can) driven by Playwright from
PyPI (the `dev` extra; its own browser download is not used). Screenshots go to
`var/test-artifacts/` (git-ignored), kept after the run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.tools import ROOT, ensure_tool

ARTIFACTS = ROOT / "var" / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on the machine's Chromium."""
    from playwright.sync_api import sync_playwright

    executable = ensure_tool("chromium", "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
