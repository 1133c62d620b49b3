"""A checkpoint store: one folder per saved step, written atomically.

Layout: `<root>/step-00000042/` holding `model/` (whatever the trainer writes: full weights
or a LoRA adapter), `training_state.pt` (optimizer state and RNG states) and `info.json`
(step, metrics, loss history, anything JSON the trainer adds). A checkpoint is first written
to `<root>/.tmp-...`, flushed to disk, then renamed into place; a process killed at any
moment (SIGKILL included) leaves either the complete folder or no folder under that name,
and `latest()` only ever sees complete ones. Leftover temporary folders are removed when a
store is opened. Only the newest `keep` checkpoints are kept.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PREFIX = "step-"
TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: Path

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "info.json").read_text("utf-8"))
        return data

    def training_state(self) -> dict[str, Any]:
        """`{"optimizer": state_dict, "rng": capture_rng() output}` (tensors on CPU)."""
        import torch

        state: dict[str, Any] = torch.load(self.path / "training_state.pt", map_location="cpu",
                                           weights_only=True)
        return state


def run_identity(config: Any, keys: tuple[str, ...], dataset_fingerprint: str) -> dict[str, Any]:
    """What a checkpoint must match to be resumed: the dataset and the schedule's settings
    (`keys` of the dataclass `config`)."""
    return {"dataset": dataset_fingerprint, **{key: getattr(config, key) for key in keys}}


def check_resumable(checkpoint: Checkpoint, identity: Mapping[str, Any]) -> dict[str, Any]:
    """The checkpoint's info, or ValueError when it was saved by a run with another
    `identity` (dataset fingerprint and training settings): resuming it would mix runs."""
    info = checkpoint.info
    if info.get("identity") != dict(identity):
        raise ValueError(f"checkpoint {checkpoint.path} belongs to another run "
                         f"(saved {info.get('identity')}, this run {dict(identity)})")
    return info


def capture_rng() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) RNG states, in a `weights_only`-safe form."""
    import torch

    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    keys = np.asarray(keys)
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state(),
                             "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos,
                                       has_gauss, gauss]}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: Mapping[str, Any]) -> None:
    import torch

    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["torch"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class CheckpointStore:
    """Checkpoints of ONE training run in `root` (give each run its own folder)."""

    def __init__(self, root: str | Path, keep: int = 2) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.root, self.keep = Path(root), keep
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob(f"{TMP_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)

    def all(self) -> list[Checkpoint]:
        """Complete checkpoints, oldest first."""
        found = [Checkpoint(int(p.name[len(PREFIX):]), p) for p in self.root.glob(f"{PREFIX}*")
                 if p.is_dir() and p.name[len(PREFIX):].isdigit()]
        return sorted(found, key=lambda c: c.step)

    def latest(self) -> Checkpoint | None:
        found = self.all()
        return found[-1] if found else None

    def save(self, step: int, write_model: Callable[[Path], None],
             optimizer_state: Mapping[str, Any], info: Mapping[str, Any]) -> Checkpoint:
        """Write a checkpoint for `step` atomically (see module doc) and prune old ones.

        `write_model(folder)` writes the model files into an empty folder. The RNG states
        are captured here, so call this at the step boundary it describes."""
        import torch

        final = self.root / f"{PREFIX}{step:08d}"
        tmp = self.root / f"{TMP_PREFIX}{step:08d}-{uuid.uuid4().hex[:8]}"
        (tmp / "model").mkdir(parents=True)
        write_model(tmp / "model")
        torch.save({"optimizer": dict(optimizer_state), "rng": capture_rng()},
                   tmp / "training_state.pt")
        (tmp / "info.json").write_text(json.dumps({**info, "step": step}), "utf-8")
        _fsync_tree(tmp)
        if final.exists():  # a re-run of the same step after a resume: replace it
            self._discard(final)
        os.rename(tmp, final)
        _fsync_dir(self.root)
        for old in self.all()[:-self.keep]:
            self._discard(old.path)
        return Checkpoint(step, final)

    def _discard(self, folder: Path) -> None:
        """Rename out of sight first, so a kill mid-delete never leaves a partial
        checkpoint under a `step-` name."""
        doomed = self.root / f"{TMP_PREFIX}discard-{uuid.uuid4().hex[:8]}"
        os.rename(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)


def publish_folder(write: Callable[[Path], None], destination: str | Path) -> Path:
    """Write a folder next to `destination`, then rename it into place (replacing an older
    one): readers see the old folder or the complete new one, never a partial one."""
    final = Path(destination)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f"{TMP_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    write(tmp)
    _fsync_tree(tmp)
    if final.exists():
        doomed = final.parent / f"{TMP_PREFIX}discard-{uuid.uuid4().hex[:8]}"
        os.rename(final, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    os.rename(tmp, final)
    _fsync_dir(final.parent)
    return final
