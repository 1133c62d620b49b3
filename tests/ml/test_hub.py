"""Models load offline and without progress bars (each bar update would be a WARNING line
in a worker's log)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit


def test_loading_is_offline_and_draws_no_progress_bar() -> None:
    # a fresh interpreter: the settings must hold whatever was imported before
    code = ("import huggingface_hub, transformers\n"
            "from ml.hub import offline_and_quiet\n"
            "offline_and_quiet()\n"
            "from huggingface_hub.utils import are_progress_bars_disabled\n"
            "from transformers.utils import logging\n"
            "import os\n"
            "assert are_progress_bars_disabled()\n"
            "assert not logging.is_progress_bar_enabled()\n"
            "assert os.environ['HF_HUB_OFFLINE'] == '1'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
