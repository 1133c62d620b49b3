"""Embedding fine-tuning on CPU with the shipped MiniLM: a real run that changes the model
and the held-out figures, resume after a kill (raised, and a real SIGKILL), and cancel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml.evaluation import load_queries
from ml.training.checkpoints import CheckpointStore
from ml.training.datasets import builtin_dataset
from ml.training.embedding import EmbeddingTrainingConfig, train_embedding
from ml.training.examples import Dataset

pytestmark = pytest.mark.model

PROBE = "a smoky leather fragrance with birch tar"
FAST = {"batch_size": 8, "max_seq_length": 32, "learning_rate": 5e-5, "evaluate": False}


class Stop(Exception):
    """What a caller raises from on_step to cancel (or, here, to simulate a kill)."""


@pytest.fixture(scope="module")
def pairs() -> Dataset:
    return builtin_dataset("embedding-pairs")


def _stop_at(step: int, seen: list[int]) -> Any:
    def on_step(current: int, total: int, loss: float) -> None:
        seen.append(current)
        if current == step:
            raise Stop(f"stopped at {current}/{total}")
    return on_step


def test_fine_tuning_changes_the_embeddings_and_reports_heldout_figures(
        pairs: Dataset, tmp_path: Path) -> None:
    from ml.embeddings import SentenceTransformerEncoder

    config = EmbeddingTrainingConfig(**{**FAST, "evaluate": True, "max_steps": 3,
                                        "checkpoint_every": 3})
    progress: list[tuple[int, int]] = []
    result = train_embedding(config, pairs, tmp_path / "model", CheckpointStore(tmp_path / "ck"),
                             lambda step, total, loss: progress.append((step, total)))
    before = SentenceTransformerEncoder().encode([PROBE])[0]
    after = SentenceTransformerEncoder(result["model_dir"]).encode([PROBE])[0]
    print("held-out before", result["metrics_before"], "after", result["metrics_after"])
    assert float(np.dot(before, after)) < 0.9999
    assert progress == [(1, 3), (2, 3), (3, 3)] and len(result["loss_history"]) == 3
    heldout = sum(q.split == "heldout" for q in load_queries())
    for metrics in (result["metrics_before"], result["metrics_after"]):
        assert 0 < metrics["similarity"]["n"] <= heldout
        assert 0 <= metrics["hybrid"]["ndcg@10"] <= 1
    assert result["metrics_before"]["similarity"]["n"] == result["metrics_after"]["similarity"]["n"]
    assert result["metrics_before"] != result["metrics_after"]
    assert result["resumed_from_step"] == 0


def test_a_killed_run_resumes_from_its_last_checkpoint(pairs: Dataset, tmp_path: Path) -> None:
    config = EmbeddingTrainingConfig(**FAST, max_steps=6, checkpoint_every=2)
    store, seen = CheckpointStore(tmp_path / "ck"), []
    with pytest.raises(Stop):  # "killed" at step 5: nothing saved after step 4
        train_embedding(config, pairs, tmp_path / "model", store, _stop_at(5, seen))
    assert store.latest().step == 4  # type: ignore[union-attr]
    first_losses = store.latest().info["loss_history"]  # type: ignore[union-attr]
    resumed: list[int] = []
    result = train_embedding(config, pairs, tmp_path / "model", CheckpointStore(tmp_path / "ck"),
                             _stop_at(-1, resumed))
    assert result["resumed_from_step"] == 4 and resumed == [5, 6]
    assert result["steps"] == 6 and len(result["loss_history"]) == 6
    assert result["loss_history"][:4] == first_losses
    assert (tmp_path / "model" / "config_sentence_transformers.json").is_file()


def test_cancel_stops_at_a_step_boundary_and_keeps_the_last_checkpoint(
        pairs: Dataset, tmp_path: Path) -> None:
    config = EmbeddingTrainingConfig(**FAST, max_steps=5, checkpoint_every=2)
    store, seen = CheckpointStore(tmp_path / "ck"), []
    with pytest.raises(Stop):
        train_embedding(config, pairs, tmp_path / "model", store, _stop_at(3, seen))
    assert seen == [1, 2, 3] and [c.step for c in store.all()] == [2]
    assert not (tmp_path / "model").exists()


KILLED_RUN = """
import os, signal, sys
from ml.training.checkpoints import CheckpointStore
from ml.training.datasets import builtin_dataset
from ml.training.embedding import EmbeddingTrainingConfig, train_embedding

def on_step(step, total, loss):
    if step == 3:
        os.kill(os.getpid(), signal.SIGKILL)

config = EmbeddingTrainingConfig(**{fast!r}, max_steps=4, checkpoint_every=2)
train_embedding(config, builtin_dataset("embedding-pairs"), sys.argv[1] + "/model",
                CheckpointStore(sys.argv[1] + "/ck"), on_step)
"""


def test_a_run_killed_with_sigkill_resumes_from_its_checkpoint(
        pairs: Dataset, tmp_path: Path) -> None:
    script = KILLED_RUN.replace("{fast!r}", repr(FAST))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True,
                          timeout=240, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    config = EmbeddingTrainingConfig(**FAST, max_steps=4, checkpoint_every=2)
    result = train_embedding(config, pairs, tmp_path / "model", CheckpointStore(tmp_path / "ck"))
    assert result["resumed_from_step"] == 2 and len(result["loss_history"]) == 4


def test_a_cancel_stops_the_heldout_evaluations_between_batches(
        pairs: Dataset, tmp_path: Path) -> None:
    """The held-out evaluation before the first step and after the last encodes the whole
    catalogue (a minute of CPU on a busy host) with no step boundary: a cancel waited for it.
    `interrupt` is asked between batches; after the last step nothing is published."""
    config = EmbeddingTrainingConfig(**{**FAST, "evaluate": True, "max_steps": 2,
                                        "checkpoint_every": 1})
    calls: list[int] = []

    def cancel_at_once() -> None:
        calls.append(1)
        raise Stop("canceled during the evaluation before training")

    steps: list[int] = []
    with pytest.raises(Stop):
        train_embedding(config, pairs, tmp_path / "a" / "model", CheckpointStore(tmp_path / "a"),
                        _stop_at(-1, steps), cancel_at_once)
    assert calls == [1] and steps == []

    canceled = {"now": False}

    def cancel_after_training() -> None:
        if canceled["now"]:
            raise Stop("canceled during the evaluation after training")

    def on_step(step: int, total: int, loss: float) -> None:
        canceled["now"] = step == total

    checkpoints = CheckpointStore(tmp_path / "b" / "ck")
    with pytest.raises(Stop):
        train_embedding(config, pairs, tmp_path / "b" / "model", checkpoints, on_step,
                        cancel_after_training)
    assert not (tmp_path / "b" / "model").exists()  # nothing published
    latest = checkpoints.latest()
    assert latest is not None and latest.step == 2  # a redelivery resumes past the steps
