"""Loading models the way every worker must: from local folders only (nothing is ever
downloaded at run time) and without progress bars (on a worker's stderr each update of a bar
becomes a WARNING line of its log: "Loading weights: 100%", "Writing model shards")."""

from __future__ import annotations

import os


def offline_and_quiet() -> None:
    """Call before loading or saving a model with transformers, sentence-transformers or
    peft (imports transformers and huggingface_hub)."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # read when huggingface_hub is first imported
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as transformers_logging

    disable_progress_bars()  # if huggingface_hub was imported before the variable was set
    transformers_logging.disable_progress_bar()
