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


EXCLUSIONS = [("vanilla perfume for women without tonka", {"tonka bean"}),
              ("spicy amber perfume, no oud", {"oud"}),
              ("a cologne with no lavender", {"lavender"}),
              ("green perfume without musk", {"musk", "white musk", "ambrette"}),
              ("장미 빼고 플로럴 향수", {"rose"})]


def hit_notes(hit: dict[str, object]) -> set[str]:
    tiers = hit["notes"]
    assert isinstance(tiers, dict)
    return {note for notes in tiers.values() for note in notes}


def test_the_issue_queries_honour_exclusions_and_likeness(stack: Stack) -> None:
    client = stack.client()
    queries = [query for query, _ in EXCLUSIONS] + ["something like YSL Black Opium",
                                                   "Black Opium 같은 향수"]
    ids = [client.submit_search(query, top_k=10)["id"] for query in queries]
    jobs = [client.wait_finished(job_id, timeout=120) for job_id in ids]
    assert {job["status"] for job in jobs} == {"succeeded"}
    for job, (_, banned) in zip(jobs, EXCLUSIONS, strict=False):
        hits = job["result"]["hits"]
        assert len(hits) == 10 and not any(banned & hit_notes(hit) for hit in hits)
        assert job["result"]["interpreted"]["excluded_notes"]
    for job in jobs[len(EXCLUSIONS):]:
        result = job["result"]
        assert result["interpreted"]["reference"]["id"] == "ysl-black-opium-2014"
        assert all(hit["name"] != "Black Opium" for hit in result["hits"])
        assert all(hit["explanation"]["shared_notes"] for hit in result["hits"])


def test_similar_finds_perfumes_that_smell_alike(stack: Stack) -> None:
    client = stack.client()
    response = client.http.post("/api/v1/search/similar",
                                json={"perfume_id": "tom-ford-oud-wood-2007", "top_k": 5})
    assert response.status_code == 202, response.text
    job = client.wait_finished(response.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    hits = job["result"]["hits"]
    assert len(hits) == 5 and "Oud Wood" not in {hit["name"] for hit in hits}
    assert all(hit["explanation"]["like"] == "Oud Wood (Tom Ford)" for hit in hits)
    unknown = client.http.post("/api/v1/search/similar", json={"perfume_id": "no-such-one"})
    done = client.wait_finished(unknown.json()["id"], timeout=120)
    assert done["status"] == "failed" and done["error"]["type"] == "unknown_perfume"
    assert "no-such-one" in done["error"]["message"]


def test_a_repeated_search_is_answered_from_the_cache(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(FRAGRANCE_SEARCH_CACHE_TTL_S="60")
    stack.start_worker()
    first_tenant, second_tenant = stack.client(), stack.client()
    ran = first_tenant.wait_finished(
        first_tenant.submit_search("fresh citrus cologne for summer", top_k=5)["id"],
        timeout=120)
    assert ran["status"] == "succeeded" and ran["result"]["cached"] is False
    again = first_tenant.submit_search("Fresh  citrus cologne for SUMMER", top_k=5)
    assert again["status"] == "succeeded", again  # answered at submit time
    assert again["result"]["cached"] is True
    assert [hit["id"] for hit in again["result"]["hits"]] == \
        [hit["id"] for hit in ran["result"]["hits"]]
    assert first_tenant.wait_finished(again["id"], timeout=5)["attempts"] == 1
    # another tenant's same words run on the worker: a cached answer would tell it they
    # were searched
    theirs = second_tenant.submit_search("fresh citrus cologne for summer", top_k=5)
    assert theirs["status"] == "queued", theirs
    # another input runs on the worker
    other = first_tenant.submit_search("fresh citrus cologne for summer", top_k=3)
    assert other["status"] == "queued"


def test_two_worker_processes_share_the_embedded_index(stack: Stack) -> None:
    """The first worker holds the Qdrant Edge folder; a second process on the same host and
    folder serves from memory (no Qdrant server needed), with the same hits."""
    from tests.e2e.harness import wait_until

    client = stack.client()
    first_hits = client.wait_finished(client.submit_search("warm amber for winter nights",
                                                           top_k=5)["id"], timeout=120)
    second = stack.start_worker(name="e2e-2", queues="search", beat=False)
    wait_until(lambda: "in memory" in second.log_path.read_text(errors="replace"), 120,
               "the second worker to hold its index")
    stack.workers[0].stop()  # from now on only the second process consumes searches
    jobs = [client.wait_finished(client.submit_search(query, top_k=5)["id"], timeout=120)
            for query in ("warm amber for winter nights", "fresh green tea cologne")]
    assert {job["status"] for job in jobs} == {"succeeded"}, jobs
    assert [hit["id"] for hit in jobs[0]["result"]["hits"]] == \
        [hit["id"] for hit in first_hits["result"]["hits"]]
