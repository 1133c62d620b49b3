"""Command-line tools some tests need and Python packages do not bring (Debian's chromium,
promtool and prometheus): found on PATH, or installed by `deploy/dev/ensure-deploy-tools.sh`
the way CI can (as root, with apt). A test skips, saying why, only where its tool cannot be
installed at all."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ensure_tool(tool: str, binary: str) -> str:
    """The path of `binary`, installing `tool` (an argument of the script) when missing."""
    found = shutil.which(binary)
    if found is None:
        installer = subprocess.run(["sh", str(ROOT / "deploy/dev/ensure-deploy-tools.sh"),
                                    tool], capture_output=True, text=True, timeout=900)
        found = shutil.which(binary)
        if found is None:
            pytest.skip(f"{binary} cannot be installed here: {installer.stderr.strip()}")
    return found
