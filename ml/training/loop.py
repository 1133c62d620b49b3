"""The step loop shared by every trainer: a deterministic batch schedule, periodic
checkpoints, progress callbacks and resume at an exact step.

Batches depend only on (dataset size, batch size, seed, step): epoch `e` is a permutation
drawn from `seed + e`, so a run resumed at step k sees exactly the batches an uninterrupted
run would have seen from step k + 1 on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.training.examples import MIN_EXAMPLES

OnStep = Callable[[int, int, float], None]
"""`on_step(step, total, loss)`, called after every completed step (and after that step's
checkpoint, if it has one). It may raise to stop the run: the exception propagates
unchanged, at a step boundary, and the store keeps the last checkpoint."""
Interrupt = Callable[[], None]  # called between pieces of long work that is not a step


@dataclass(frozen=True)
class Schedule:
    examples: int
    batch_size: int
    epochs: int = 1
    max_steps: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.examples < MIN_EXAMPLES:
            raise ValueError(f"training needs at least {MIN_EXAMPLES} examples")
        if self.batch_size < 2 or self.epochs < 1:
            raise ValueError("batch_size must be >= 2 and epochs >= 1")

    @property
    def batches_per_epoch(self) -> int:
        """Full batches only (the remainder of an epoch is dropped), at least one."""
        return max(1, self.examples // self.batch_size)

    @property
    def total(self) -> int:
        planned = self.batches_per_epoch * self.epochs
        return min(planned, self.max_steps) if self.max_steps else planned

    def batch(self, step: int) -> list[int]:
        """Example indices of 1-based `step`."""
        epoch, position = divmod(step - 1, self.batches_per_epoch)
        order = np.random.default_rng(self.seed + epoch).permutation(self.examples)
        size = min(self.batch_size, self.examples)
        return [int(i) for i in order[position * size:(position + 1) * size]]


class SaveAndStop(Exception):
    """Raised by `on_step`: save the step the run stopped at, then raise `cause`."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def run_steps(schedule: Schedule, first_step: int, train_step: Callable[[list[int]], float],
              save: Callable[[int], None], checkpoint_every: int, on_step: OnStep | None,
              losses: list[float]) -> None:
    """Run steps `first_step..schedule.total`, appending each loss to `losses`; call
    `save(step)` every `checkpoint_every` steps and after the last step. `on_step` may raise
    to stop the run (the exception propagates; nothing more is saved), or raise
    `SaveAndStop(cause)` to have this step saved first, then `cause` raised."""
    if checkpoint_every < 1:
        raise ValueError("checkpoint_every must be at least 1")
    total = schedule.total
    for step in range(first_step, total + 1):
        loss = train_step(schedule.batch(step))
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss is {loss} at step {step}")
        losses.append(loss)
        if step % checkpoint_every == 0 or step == total:
            save(step)
        if on_step is not None:
            try:
                on_step(step, total, loss)
            except SaveAndStop as stop:  # e.g. a time limit: keep this step's work
                if step % checkpoint_every and step != total:
                    save(step)
                raise stop.cause from None
