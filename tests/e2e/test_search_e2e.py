"""Search jobs end to end: HTTP API -> PostgreSQL -> Redis -> a real Celery worker -> result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_korean_search_returns_ranked_perfumes(stack: Stack) -> None:
    client = stack.client()
    queued = client.submit_search("상큼하고 로맨틱한 봄 향수", top_k=5)
    assert queued["status"] == "queued"
    job = client.wait_finished(queued["id"], timeout=120)
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1 and job["progress"] == 1.0
    hits = job["result"]["hits"]
    assert len(hits) == 5
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(hit["name"] and "matched_notes" in hit for hit in hits)
    assert any("spring" in hit["season"] for hit in hits)


def test_concurrent_jobs_all_finish_once(stack: Stack) -> None:
    client = stack.client()
    queries = [f"{mood} perfume with {note}" for mood in ("fresh", "warm", "dark", "clean")
               for note in ("rose", "vetiver", "vanilla", "bergamot", "iris")]
    with ThreadPoolExecutor(8) as pool:
        ids = [job["id"] for job in pool.map(client.submit_search, queries)]
    jobs = [client.wait_finished(job_id, timeout=120) for job_id in ids]
    assert {job["status"] for job in jobs} == {"succeeded"}
    assert {job["attempts"] for job in jobs} == {1}


def test_filters_are_applied(stack: Stack) -> None:
    client = stack.client()
    queued = client.submit_search("warm evening scent", top_k=10,
                                  filters={"season": ["winter"], "gender": ["masculine"]})
    job = client.wait_finished(queued["id"], timeout=120)
    assert job["status"] == "succeeded", job
    for hit in job["result"]["hits"]:
        assert "winter" in hit["season"] and hit["gender"] == "masculine"
