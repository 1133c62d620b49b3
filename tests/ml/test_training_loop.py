"""The step loop: checkpoints every few steps, and one more where the run is stopped."""

from __future__ import annotations

import pytest

from ml.training.loop import Schedule, run_steps

pytestmark = pytest.mark.unit


class Stop(Exception):
    pass


def test_a_run_stopped_between_checkpoints_saves_the_step_it_stopped_at() -> None:
    saved: list[int] = []

    def on_step(step: int, total: int, loss: float) -> None:
        if step == 5:
            raise Stop  # cancel or a time limit, from the runner's checkpoint

    with pytest.raises(Stop):
        run_steps(Schedule(examples=40, batch_size=2, epochs=1, seed=0), 1,
                  lambda batch: 0.5, saved.append, checkpoint_every=4, on_step=on_step,
                  losses=[])
    assert saved == [4, 5]


def test_an_unstopped_run_saves_on_its_schedule_only() -> None:
    saved: list[int] = []
    run_steps(Schedule(examples=12, batch_size=2, epochs=1, seed=0), 1, lambda batch: 0.5,
              saved.append, checkpoint_every=4, on_step=lambda *_: None, losses=[])
    assert saved == [4, 6]
