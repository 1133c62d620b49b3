"""The checkpoint store: atomic folders, newest-wins, pruning, RNG round trip, run identity."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from ml.training.checkpoints import (
    CheckpointStore,
    check_resumable,
    publish_folder,
    restore_rng,
    run_identity,
)

pytestmark = pytest.mark.unit


def _write(text: str):  # type: ignore[no-untyped-def]
    return lambda folder: (folder / "weights.txt").write_text(text)


def test_latest_is_the_newest_complete_checkpoint_and_old_ones_are_pruned(
        tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=2)
    assert store.latest() is None
    for step in (2, 4, 6):
        store.save(step, _write(f"w{step}"), {"state": {}, "param_groups": []}, {"loss": step})
    latest = store.latest()
    assert latest is not None and latest.step == 6
    assert (latest.model_dir / "weights.txt").read_text() == "w6"
    assert latest.info == {"loss": 6, "step": 6}
    assert [c.step for c in store.all()] == [4, 6]


def test_a_half_written_checkpoint_is_never_seen_and_is_cleaned_up(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    store.save(2, _write("ok"), {}, {})
    (tmp_path / ".tmp-00000004-dead").mkdir()  # what a SIGKILL mid-save leaves
    (tmp_path / ".tmp-00000004-dead" / "model").mkdir()

    def crash(folder: Path) -> None:
        raise RuntimeError("killed while writing")

    with pytest.raises(RuntimeError):
        store.save(4, crash, {}, {})
    assert store.latest() is not None and store.latest().step == 2  # type: ignore[union-attr]
    CheckpointStore(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000002"]


def test_rng_state_round_trips_through_a_checkpoint(tmp_path: Path) -> None:
    torch.manual_seed(1)
    random.seed(1)
    checkpoint = CheckpointStore(tmp_path).save(1, _write(""), {}, {})
    expected = (torch.rand(3).tolist(), random.random())
    torch.rand(5)
    restore_rng(checkpoint.training_state()["rng"])
    assert (torch.rand(3).tolist(), random.random()) == expected


def test_a_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    class Config:
        batch_size, seed = 8, 0

    identity = run_identity(Config(), ("batch_size", "seed"), "abc")
    checkpoint = CheckpointStore(tmp_path).save(2, _write(""), {}, {"identity": identity})
    assert check_resumable(checkpoint, identity)["step"] == 2
    with pytest.raises(ValueError, match="another run"):
        check_resumable(checkpoint, {**identity, "dataset": "other"})


def test_publish_replaces_a_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "model"
    publish_folder(_write("v1"), target)
    publish_folder(_write("v2"), target)
    assert (target / "weights.txt").read_text() == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
