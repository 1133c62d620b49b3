"""The step loop: checkpoints every few steps, and one more where the run is stopped."""

from __future__ import annotations

import pytest

from ml.training.loop import SaveAndStop, Schedule, run_steps

pytestmark = pytest.mark.unit


class Stop(Exception):
    pass


@pytest.mark.parametrize(("raised", "saved_steps"), [
    (SaveAndStop(Stop()), [4, 5]),  # a time limit: this step is kept, then Stop propagates
    (Stop(), [4]),  # a cancel or a crash: what was saved on schedule stays
])
def test_a_run_stopped_between_checkpoints_saves_the_step_only_when_asked(
        raised: BaseException, saved_steps: list[int]) -> None:
    saved: list[int] = []

    def on_step(step: int, total: int, loss: float) -> None:
        if step == 5:
            raise raised

    with pytest.raises(Stop):
        run_steps(Schedule(examples=40, batch_size=2, epochs=1, seed=0), 1,
                  lambda batch: 0.5, saved.append, checkpoint_every=4, on_step=on_step,
                  losses=[])
    assert saved == saved_steps


def test_an_unstopped_run_saves_on_its_schedule_only() -> None:
    saved: list[int] = []
    run_steps(Schedule(examples=12, batch_size=2, epochs=1, seed=0), 1, lambda batch: 0.5,
              saved.append, checkpoint_every=4, on_step=lambda *_: None, losses=[])
    assert saved == [4, 6]
