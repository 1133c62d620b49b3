"""What a job's messages tell operators: a short summary of its input (never a whole input
or a secret), its tenant and the request that submitted it."""

from __future__ import annotations

import pytest

from core.dispatch import Dispatched, messages_for
from core.job_labels import (
    HEADER_JOB_IDS,
    HEADER_KIND,
    HEADER_PUBLISHED_AT,
    HEADER_REQUEST_ID,
    HEADER_REQUEST_IDS,
    HEADER_TENANT,
    SUMMARY_MAX,
    JobLabels,
    job_ids_in,
    request_ids_in,
    summarize,
    valid_request_id,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("kind", "payload", "summary"), [
    ("search", {"query": "woody  amber\nfor winter", "search_type": "keyword"},
     'keyword "woody amber for winter"'),
    ("search", {"query": "x" * 500}, 'hybrid "' + "x" * 39 + '…"'),
    # a /search/similar job was `hybrid ""` in Flower
    ("search", {"query": "", "similar_to": "creed-aventus-2010"},
     "similar to creed-aventus-2010"),
    ("recipe", {"fragrance_family": "floral", "mood": "romantic", "season": "spring",
                "notes_include": ["rose"] * 20}, "floral romantic spring"),
    ("training", {"target": "embedding", "dataset_lines": ["{}"] * 120},
     "embedding on 120 uploaded lines"),
    ("training", {"target": "generator", "dataset": "generator-pairs"},
     "generator on generator-pairs"),
    ("somethingnew", {"a": 1}, "somethingnew"),
])
def test_a_summary_names_the_job_in_a_few_fields(kind: str, payload: dict[str, object],
                                                 summary: str) -> None:
    assert summarize(kind, payload) == summary
    assert len(summarize(kind, payload)) <= SUMMARY_MAX


def test_uploaded_lines_and_webhooks_never_reach_the_summary() -> None:
    payload = {"target": "embedding", "dataset_lines": ['{"query": "private text"}'],
               "webhook": "https://user:pw@hooks.example.com"}
    assert "private" not in summarize("training", payload)
    assert "pw" not in summarize("training", payload)


def test_a_key_pasted_into_a_query_is_masked_in_its_label() -> None:
    """Flower showed `hybrid "fk_ftKxscW21m9AF..."` to operators."""
    label = summarize("search", {"query": "rose fk_ftKxscW21m9AFAlMYjgMlL0y2rV please"})
    assert label == 'hybrid "rose fk_*** please"'
    assert summarize("search", {"query": "task-manager"}) == 'hybrid "task-manager"'


@pytest.mark.parametrize(("raw", "kept"), [
    ("req-123", True), ("3f2a9c0e-1b2c-4d5e-8f90-123456789abc", True), ("a" * 64, True),
    ("a" * 65, False), ("", False), ("has space", False), ("tab\there", False),
    ("ünïcode", False), ("<script>", False), (None, False),
])
def test_only_safe_request_ids_are_kept(raw: str | None, kept: bool) -> None:
    assert valid_request_id(raw) == (raw if kept else None)


def test_a_message_carries_the_labels_in_its_headers_and_argument_text() -> None:
    (message,) = messages_for([Dispatched("job-1", "search",
                                          JobLabels("tenant-7", "req-9", 'hybrid "amber"'))])
    assert message.task == "search.run" and message.queue == "search"
    assert message.task_id.startswith("job-1.")
    assert message.headers[HEADER_KIND] == "search"
    assert message.headers[HEADER_TENANT] == "tenant-7"
    assert message.headers[HEADER_REQUEST_ID] == "req-9"
    assert float(message.headers[HEADER_PUBLISHED_AT]) > 0
    assert message.argsrepr == "('job-1', 'hybrid \"amber\"')"
    assert message.kwargsrepr == "{'tenant': 'tenant-7', 'request_id': 'req-9'}"
    (bare,) = messages_for([Dispatched("job-2", "recipe")])
    assert HEADER_REQUEST_ID not in bare.headers and bare.argsrepr == "('job-2', 'recipe')"


def test_a_tenants_jobs_go_out_in_groups_the_tenants_interleaved() -> None:
    """Each tenant's jobs of a kind in groups of up to the kind's `message_group` (8 for
    search, 1 for training), each tenant's first group before anyone's second."""
    flood = [Dispatched(f"a{n}", "search", JobLabels("A", f"req-{n}", f"q{n}"))
             for n in range(10)]
    other = [Dispatched("b0", "search", JobLabels("B", "req-b"))]
    training = [Dispatched(f"t{n}", "training", JobLabels("A")) for n in range(2)]
    messages = messages_for([*flood, *other, *training])
    assert [message.job_ids for message in messages] == [
        tuple(f"a{n}" for n in range(8)), ("b0",), ("t0",), ("a8", "a9"), ("t1",)]
    group, alone = messages[0], messages[1]
    assert group.task == "search.run" and group.task_id.startswith("a0.")
    assert group.headers[HEADER_JOB_IDS] == ",".join(f"a{n}" for n in range(8))
    assert group.headers[HEADER_TENANT] == "A"
    assert HEADER_REQUEST_ID not in group.headers  # its jobs came from several requests
    assert group.headers[HEADER_REQUEST_IDS] == ",".join(f"req-{n}" for n in range(8))
    assert request_ids_in(group.headers, group.job_ids) == [f"req-{n}" for n in range(8)]
    assert group.argsrepr is not None and "('a7', 'q7')" in group.argsrepr
    assert HEADER_JOB_IDS not in alone.headers and alone.headers[HEADER_REQUEST_ID] == "req-b"
    assert messages_for([]) == []


def test_the_jobs_a_message_carries_are_read_from_its_headers() -> None:
    group = messages_for([Dispatched(f"j{n}", "recipe", JobLabels("T")) for n in range(3)])[0]
    assert job_ids_in(group.headers, group.task_id) == ["j0", "j1", "j2"]
    (single,) = messages_for([Dispatched("job-1", "search")])
    assert job_ids_in(single.headers, single.task_id) == ["job-1"]
    assert job_ids_in({HEADER_JOB_IDS: ""}, "job-2.abc") == ["job-2"]


def test_each_job_of_a_group_keeps_its_own_request_id() -> None:
    """A worker logs a group's jobs each with its own request's id: the message carries the
    shared one, or each one's in the jobs' order; anything else counts as none."""
    mixed = messages_for([Dispatched("j0", "search", JobLabels("T", "req-a")),
                          Dispatched("j1", "search", JobLabels("T")),
                          Dispatched("j2", "search", JobLabels("T", "req-c"))])[0]
    assert request_ids_in(mixed.headers, mixed.job_ids) == ["req-a", None, "req-c"]
    same = messages_for([Dispatched(f"j{n}", "search", JobLabels("T", "req-s"))
                         for n in range(3)])[0]
    assert HEADER_REQUEST_IDS not in same.headers
    assert request_ids_in(same.headers, same.job_ids) == ["req-s"] * 3
    none = messages_for([Dispatched(f"j{n}", "search", JobLabels("T")) for n in range(2)])[0]
    assert HEADER_REQUEST_IDS not in none.headers
    assert request_ids_in(none.headers, none.job_ids) == [None, None]
    assert request_ids_in({HEADER_REQUEST_IDS: "a,b"}, ["j0", "j1", "j2"]) == [None] * 3
    assert request_ids_in({HEADER_REQUEST_IDS: "ok,bad id"}, ["j0", "j1"]) == ["ok", None]
