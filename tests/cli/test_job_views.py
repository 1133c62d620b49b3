"""What `fragrance jobs show|cancel` print of a job."""

from __future__ import annotations

import pytest

from cli.job_views import job_lines

pytestmark = pytest.mark.unit
RUNNING = {"kind": "training", "id": "j1", "status": "running", "progress": 0.0,
           "attempts": 2, "cancel_requested": False}


def test_a_running_job_shows_its_progress_and_attempt() -> None:
    assert job_lines(RUNNING) == ["training job j1: running (0%, attempt 2)"]


def test_a_cancel_of_a_running_job_is_acknowledged() -> None:
    """It printed "running (0%, attempt 2)" alone, as if the cancel had not been taken."""
    (head,) = job_lines({**RUNNING, "cancel_requested": True})
    assert head == ("training job j1: running (0%, attempt 2); cancel requested: it stops at "
                    "its next step")
