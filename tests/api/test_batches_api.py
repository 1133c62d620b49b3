"""The batch workflow's API: Idempotency-Key on batch submits, results as NDJSON in input
order, and the stream of count changes (the worker side is in tests/e2e)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.keys import IssuedKey
from core.states import JobStatus
from core.store import JobStore
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
BATCH = "/api/v1/generate/batch"
BRIEFS = [{"fragrance_family": "floral", "season": "spring"},
          {"fragrance_family": "floral", "intensity": "volcanic"},
          {"fragrance_family": "citrus"}]


def _finish(store: JobStore, job_id: str, result: dict[str, Any]) -> None:
    """What a worker does: claim the job, then record its result."""
    claim = store.claim(job_id, f"delivery-{uuid.uuid4().hex}", 60)
    assert claim is not None
    assert store.finish(claim, JobStatus.SUCCEEDED, result=result)


def test_the_same_idempotency_key_and_body_answer_the_first_batch_and_another_body_409(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    headers = {**auth(keys["alice"]), "Idempotency-Key": "nightly-2026-11-30"}
    first = client.post(BATCH, headers=headers, json={"requests": BRIEFS})
    again = client.post(BATCH, headers=headers, json={"requests": BRIEFS})
    assert (first.status_code, again.status_code) == (202, 200), again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == f"/api/v1/batches/{first.json()['id']}"
    assert len(enqueuer.sent) == 2  # the two valid items, published once
    other = client.post(BATCH, headers=headers, json={"requests": BRIEFS[:1]})
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    elsewhere = client.post(BATCH, headers={**auth(keys["reader"]),
                                            "Idempotency-Key": "nightly-2026-11-30"},
                            json={"requests": BRIEFS})
    assert elsewhere.status_code == 202 and elsewhere.json()["id"] != first.json()["id"]


def test_results_stream_one_ndjson_line_per_item_in_input_order(
        client: TestClient, keys: dict[str, IssuedKey], store: JobStore) -> None:
    headers = auth(keys["alice"])
    batch = client.post(BATCH, headers=headers, json={"requests": BRIEFS}).json()
    items = client.get(f"/api/v1/batches/{batch['id']}/items", headers=headers).json()["items"]
    _finish(store, items[2]["job"]["id"], {"status": "succeeded", "formula": {"name": "x"}})

    answer = client.get(f"/api/v1/batches/{batch['id']}/results", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2]
    assert [line["status"] for line in lines] == ["queued", "failed", "succeeded"]
    assert lines[1]["error"]["errors"][0]["field"] == "intensity" and lines[1]["result"] is None
    assert lines[2]["result"]["formula"]["name"] == "x" and lines[2]["error"] is None
    assert [line["job_id"] for line in lines] == [item["job"]["id"] for item in items]
    foreign = client.get(f"/api/v1/batches/{batch['id']}/results", headers=auth(keys["bob"]))
    assert foreign.status_code == 404
    assert foreign.json()["detail"] == f"no batch {batch['id']}"


def test_a_batch_cancel_reads_like_a_job_cancel_and_leaves_running_items_to_their_workers(
        client: TestClient, keys: dict[str, IssuedKey], store: JobStore) -> None:
    headers = auth(keys["alice"])
    briefs = [{"fragrance_family": "floral"}] * 3
    batch = client.post(BATCH, headers=headers, json={"requests": briefs}).json()
    items = client.get(f"/api/v1/batches/{batch['id']}/items", headers=headers).json()["items"]
    running = store.claim(items[0]["job"]["id"], f"delivery-{uuid.uuid4().hex}", 60)
    assert running is not None

    canceled = client.post(f"/api/v1/batches/{batch['id']}/cancel", headers=headers).json()
    assert canceled["counts"]["canceled"] == 2 and canceled["counts"]["running"] == 1
    lines = [json.loads(line) for line in client.get(
        f"/api/v1/batches/{batch['id']}/results", headers=headers).text.splitlines()]
    alone = client.post("/api/v1/generate/recipe", headers=headers, json=briefs[0]).json()
    alone = client.post(f"/api/v1/jobs/{alone['id']}/cancel", headers=headers).json()
    assert [line["error"] for line in lines[1:]] == [alone["error"]] * 2
    assert alone["error"]["type"] == "canceled"
    # the running item was asked to stop: its worker records how it ended, and its times
    # stay in order (the cancel used to end it under its worker, before it had started)
    assert store.finish(running, JobStatus.CANCELED)
    job = store.get_any(items[0]["job"]["id"])
    assert job is not None and job.status == JobStatus.CANCELED
    assert job.finished_at is not None and job.started_at is not None
    assert job.finished_at >= job.started_at


def test_results_of_a_batch_larger_than_a_page_come_whole_and_in_order(
        client: TestClient, keys: dict[str, IssuedKey], monkeypatch: pytest.MonkeyPatch) -> None:
    from api.routes import batches

    monkeypatch.setattr(batches, "RESULTS_PAGE", 2)  # pages of 2 rows: 7 items take 4 reads
    requests = [{"fragrance_family": "citrus", "seed": n} for n in range(7)]
    batch = client.post(BATCH, headers=auth(keys["alice"]), json={"requests": requests})
    assert batch.status_code == 202, batch.text
    with client.stream("GET", f"/api/v1/batches/{batch.json()['id']}/results",
                       headers=auth(keys["alice"])) as answer:
        lines = [json.loads(line) for line in answer.iter_lines() if line]
    assert [line["index"] for line in lines] == list(range(7))
    assert len({line["job_id"] for line in lines}) == 7


def _events(lines: Any) -> Any:
    """(event, data) pairs of a text/event-stream, as they arrive."""
    event = None
    for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event is not None:
            yield event, json.loads(line.split(":", 1)[1])
            event = None


def test_the_event_stream_sends_the_counts_then_each_change_then_completed(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    headers = auth(keys["alice"])
    batch = client.post(BATCH, headers=headers, json={"requests": BRIEFS}).json()
    seen = []
    with client.stream("GET", f"/api/v1/batches/{batch['id']}/events",
                       headers=headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for event, data in _events(stream.iter_lines()):
            seen.append((event, data["counts"]))
            if len(seen) == 1:  # now change the counts: cancel what is queued
                client.post(f"/api/v1/batches/{batch['id']}/cancel", headers=headers)
    assert seen[0][0] == "counts"
    assert (seen[0][1]["queued"], seen[0][1]["failed"]) == (2, 1)
    assert seen[-1][0] == "completed"
    assert (seen[-1][1]["canceled"], seen[-1][1]["failed"]) == (2, 1)
    # a finished batch: its counts, then completed; no ids (a reconnect starts afresh)
    with client.stream("GET", f"/api/v1/batches/{batch['id']}/events",
                       headers=headers) as stream:
        lines = list(stream.iter_lines())
    assert [event for event, _ in _events(iter(lines))] == ["counts", "completed"]
    assert not [line for line in lines if line.startswith("id:")]
    assert client.get(f"/api/v1/batches/{batch['id']}/events",
                      headers=auth(keys["bob"])).status_code == 404


def test_an_item_that_is_no_object_fails_alone(client: TestClient,
                                               keys: dict[str, IssuedKey]) -> None:
    """A batch holding 1, "a", null or [] beside good briefs was refused whole (422),
    though a bad item fails alone."""
    good = {"fragrance_family": "floral"}
    answer = client.post("/api/v1/generate/batch", headers=auth(keys["alice"]),
                         json={"requests": [good, 1, "a", None, [], True, good]})
    assert answer.status_code == 202, answer.text
    batch_id = answer.json()["id"]
    items = client.get(f"/api/v1/batches/{batch_id}/items",
                       headers=auth(keys["alice"])).json()["items"]
    statuses = [item["job"]["status"] for item in items]
    assert statuses == ["queued", "failed", "failed", "failed", "failed", "failed", "queued"]
    messages = [item["job"]["error"]["errors"][0]["message"] for item in items[1:6]]
    assert messages == ["a brief is a JSON object, not a number",
                        "a brief is a JSON object, not a string",
                        "a brief is a JSON object, not null",
                        "a brief is a JSON object, not an array",
                        "a brief is a JSON object, not a boolean"]


def test_a_batch_of_a_thousand_long_briefs_fits_its_upload_limit(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    """1,000 briefs of long moods and 40 long notes each (2.8 MB, every brief valid alone)
    were a 413: every body was capped at 2 MiB. A batch and a training set take
    `max_upload_body_bytes`; other bodies keep the small cap (4 KiB in these tests)."""
    notes = [f"note {i} " + "x" * 50 for i in range(20)]
    brief = {"fragrance_family": "floral", "mood": "m" * 200, "notes_include": notes,
             "notes_exclude": [n.replace("note", "other") for n in notes]}
    answer = client.post("/api/v1/generate/batch", headers=auth(keys["alice"]),
                         json={"requests": [brief] * 1000})
    assert answer.status_code != 413, answer.text
    large_search = client.post("/api/v1/search/semantic", headers=auth(keys["alice"]),
                               json={"query": "x" * 5000})
    assert large_search.status_code == 413


@pytest.mark.parametrize("size", [1001, 100_000])
def test_a_batch_over_the_limit_is_told_the_limit(client: TestClient, keys: dict[str, str],
                                                  size: int) -> None:
    """100,000 items were told "at most 10000 items", a ceiling no deployment documents."""
    answer = client.post("/api/v1/generate/batch", headers=auth(keys["alice"]),
                         json={"requests": [{}] * size})
    assert answer.status_code == 422
    assert [e["message"] for e in answer.json()["errors"]] == ["at most 1000 requests per batch"]


def test_a_batch_s_own_webhook_message_is_listed_and_sent_again(
        database_url: str, redis_url: str, keys: dict[str, IssuedKey], store: JobStore,
        enqueuer: RecordingEnqueuer) -> None:
    """`batch.completed`, the message a receiver waits for, could be neither seen nor sent
    again: its items' messages are their jobs', and the batch had no deliveries route."""
    from api.app import create_app
    from config import load_settings

    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             webhook_allowed_hosts=["127.0.0.1"])
    with TestClient(create_app(settings, enqueuer=enqueuer)) as client:
        headers = auth(keys["alice"])
        batch = client.post(BATCH, headers=headers, json={
            "requests": BRIEFS[:1], "webhook": "http://127.0.0.1:9/batches"}).json()
        path = f"/api/v1/batches/{batch['id']}/deliveries"
        assert client.get(path, headers=headers).json() == {"items": []}  # not complete
        (item,) = client.get(f"/api/v1/batches/{batch['id']}/items",
                             headers=headers).json()["items"]
        _finish(store, item["job"]["id"], {"formula": []})
        (message,) = client.get(path, headers=headers).json()["items"]
        assert message["type"] == "batch.completed" and message["status"] == "pending"
        assert client.get(path, headers=auth(keys["bob"])).status_code == 404
        again = client.post(f"{path}/{message['id']}/redeliver", headers=headers)
        assert again.status_code == 202 and again.json()["id"] == message["id"]
        assert client.post(f"{path}/{message['id']}/redeliver",
                           headers=auth(keys["bob"])).status_code == 404
        other = client.post(BATCH, headers=headers, json={"requests": BRIEFS[:1]}).json()
        elsewhere = client.post(f"/api/v1/batches/{other['id']}/deliveries/{message['id']}"
                                "/redeliver", headers=headers)
        assert elsewhere.status_code == 404
        assert elsewhere.json()["detail"] == f"no webhook message {message['id']} of this batch"
        no_such = client.post(f"{path}/msg_not-a-message-id/redeliver", headers=headers)
        assert no_such.json()["detail"] == "no webhook message msg_not-a-message-id of this batch"


def test_a_batch_of_refused_items_is_written_in_a_few_statements(
        database_url: str, redis_url: str, keys: dict[str, IssuedKey],
        enqueuer: RecordingEnqueuer) -> None:
    """A batch of 1,000 invalid items took 5-9 s (each item's failure its own UPDATE, event
    and count of the batch's open items), holding the embedded store's one writer lock:
    every other tenant's submit waited seconds. Their failures are now one UPDATE and one
    INSERT, and the batch completes once."""
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from api.app import create_app
    from config import load_settings

    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             webhook_allowed_hosts=["127.0.0.1"])
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    bad = [1] * 500 + [{"fragrance_family": "bogus"}] * 500
    with TestClient(create_app(settings, enqueuer=enqueuer)) as client:
        headers = auth(keys["alice"])
        event.listen(Engine, "before_cursor_execute", count)
        try:
            started = time.perf_counter()
            answer = client.post(BATCH, headers=headers, json={"requests": bad})
            plain_s = time.perf_counter() - started
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert answer.status_code == 202, answer.text
        assert statements.count("UPDATE") < 10 and len(statements) < 60, statements
        batch = answer.json()
        assert batch["counts"]["failed"] == 1000 and batch["completed_at"] is not None
        (item,) = client.get(f"/api/v1/batches/{batch['id']}/items", params={"limit": 1},
                             headers=headers).json()["items"]
        events = client.get(f"/api/v1/jobs/{item['job']['id']}/events", headers=headers).text
        assert events.index("event: queued") < events.index("event: failed")
        told = client.post(BATCH, headers=headers, json={
            "requests": bad[:3], "webhook": "http://127.0.0.1:9/batches"}).json()
        assert told["counts"]["failed"] == 3
        deliveries = client.get(f"/api/v1/batches/{told['id']}/deliveries", headers=headers)
        assert [d["type"] for d in deliveries.json()["items"]] == ["batch.completed"]
        (item,) = client.get(f"/api/v1/batches/{told['id']}/items", params={"limit": 1},
                             headers=headers).json()["items"]
        messages = client.get(f"/api/v1/jobs/{item['job']['id']}/deliveries",
                              headers=headers).json()["items"]
        assert [m["type"] for m in messages] == ["job.completed"]
    print(f"1,000 refused items: {plain_s:.2f} s")


def test_a_refused_item_s_large_input_is_not_kept(client: TestClient,
                                                   keys: dict[str, IssuedKey]) -> None:
    """A refused item was stored whole: 1,000 items with 15 KB of unknown fields each grew
    the shared store by 1 GB in 10 s of one tenant's batches (a valid brief's size is
    bounded by its schema)."""
    headers = auth(keys["alice"])
    small = {"fragrance_family": "floral", "bogus": "y"}
    batch = client.post(BATCH, headers=headers, json={"requests": [
        {"fragrance_family": "floral", "bogus": "y" * 15_000}, "z" * 15_000, small]}).json()
    items = client.get(f"/api/v1/batches/{batch['id']}/items",
                       headers=headers).json()["items"]
    inputs = [client.get(f"/api/v1/jobs/{item['job']['id']}", headers=headers).json()["input"]
              for item in items]
    assert inputs[0] == {"omitted": "the item's 15,040 bytes of JSON are not kept: it was "
                                    "refused"}
    assert inputs[1]["omitted"].startswith("the item's 15,0")
    assert inputs[2] == small  # a small refused item is kept as sent
    assert all(item["job"]["status"] == "failed" for item in items)
