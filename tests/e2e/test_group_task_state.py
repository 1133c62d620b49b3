"""What Celery (and so Flower) records for a group message whose jobs end differently: a
failed job makes its message's task FAILURE, naming the job and its error and counting the
others; each job's own state is in the job store, and none runs twice."""

from __future__ import annotations

import json

import pytest
import redis

from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model]
WINDOW = 8  # search's dispatch window for a tenant (core/kinds.py)


def test_a_group_message_with_a_failed_job_is_a_failure_in_celery(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack()
    client = stack.client(("search",))
    first = [client.submit_search(f"citrus {i}")["id"] for i in range(WINDOW)]
    # the window is full: these three wait in the store, and the dispatcher sends them
    # together, as one group message, once the window has room
    unknown = client.http.post("/api/v1/search/similar", json={"perfume_id": "no-such-one"})
    assert unknown.status_code == 202, unknown.text
    group = [unknown.json()["id"], client.submit_search("woody amber")["id"],
             client.submit_search("fresh green tea")["id"]]
    stack.start_worker(name="searcher", queues="search", beat=False)
    for job_id in first:
        assert client.wait_finished(job_id, 180)["status"] == "succeeded"
    stack.start_worker(name="ops", queues="maintenance", concurrency=2)  # the dispatcher
    ended = [client.wait_finished(job_id, 180) for job_id in group]
    assert [job["status"] for job in ended] == ["failed", "succeeded", "succeeded"], ended
    assert all(job["attempts"] == 1 for job in ended)

    results = redis.Redis.from_url(stack.env["FRAGRANCE_RESULT_BACKEND"])

    def group_report() -> dict[str, object] | None:
        keys = results.keys(f"celery-task-meta-{group[0]}.*")
        return json.loads(results.get(keys[0])) if keys else None  # type: ignore[arg-type,index]

    report = wait_until(group_report, 30, "the group message's Celery report")
    assert report["status"] == "FAILURE", report
    message = report["result"]["exc_message"]  # type: ignore[index]
    assert str(message[0] if isinstance(message, list) else message).startswith(
        f"1 of 3 jobs failed: {group[0]} unknown_perfume: "), report
    assert "(the others: 2 succeeded)" in str(message), report
