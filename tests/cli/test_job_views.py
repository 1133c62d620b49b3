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


def test_a_recipe_shows_how_its_brief_was_read_and_what_was_repaired() -> None:
    """Only the formula was printed: a CLI user never learnt that a requested note stood in
    for another or was left out, nor what the validator repaired."""
    job = {"kind": "recipe", "id": "r1", "status": "succeeded", "progress": 1.0, "attempts": 1,
           "result": {"formula": {"name": "Quiet Grove", "concentration": "edp",
                                  "dose_pct": 15.0, "ingredients": [
                                      {"pct": 50.0, "position": "top", "name": "Calone"}]},
                      "validation": {"valid": True, "violations": []},
                      "repairs": ["normalised to 100 %"],
                      "notes": ["the mood names 'sea breeze': held as requested notes"]}}
    assert job_lines(job)[-2:] == [
        "  repair: normalised to 100 %",
        "  note: the mood names 'sea breeze': held as requested notes"]


def test_a_search_shows_its_corrections_and_what_it_ignored() -> None:
    job = {"kind": "search", "id": "s1", "status": "succeeded", "progress": 1.0, "attempts": 1,
           "result": {"query": "creed aventis under $100", "interpreted": {
               "corrected": {"aventis": "aventus"}},
               "message": "The catalogue has no prices, so 'under 100 dollars' was ignored.",
               "hits": [{"name": "Aventus", "brand": "Creed", "score": 0.9}]}}
    assert job_lines(job)[1:] == [
        "  1 hits for 'creed aventis under $100'", "  read 'aventis' as 'aventus'",
        "  The catalogue has no prices, so 'under 100 dollars' was ignored.",
        "   1. Aventus - Creed (0.900)"]
