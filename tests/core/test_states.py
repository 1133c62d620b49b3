"""The transition table, property-tested: every path the table allows is reachable only
through it, and terminal states are final."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.states import TERMINAL, TRANSITIONS, JobStatus, can_transition, sources_of

pytestmark = pytest.mark.unit


def test_terminal_states_have_no_way_out() -> None:
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()


def test_the_lifecycle_of_the_design() -> None:
    assert can_transition(JobStatus.QUEUED, JobStatus.RUNNING)
    assert can_transition(JobStatus.QUEUED, JobStatus.CANCELED)
    assert not can_transition(JobStatus.QUEUED, JobStatus.SUCCEEDED)
    assert can_transition(JobStatus.RUNNING, JobStatus.RUNNING)  # a new attempt
    assert {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED} <= TRANSITIONS[
        JobStatus.RUNNING]


@given(st.sampled_from(list(JobStatus)))
def test_sources_are_the_inverse_of_the_table(target: JobStatus) -> None:
    for source in JobStatus:
        assert (source in sources_of(target)) == can_transition(source, target)


@given(st.lists(st.sampled_from(list(JobStatus)), max_size=30))
def test_any_walk_through_the_table_ends_terminal_or_live(steps: list[JobStatus]) -> None:
    status = JobStatus.QUEUED
    for step in steps:
        if can_transition(status, step):
            status = step
    if status in TERMINAL:
        assert not any(can_transition(status, s) for s in JobStatus)
    else:
        assert TRANSITIONS[status]
