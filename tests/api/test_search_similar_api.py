"""`POST /api/v1/search/similar`: a search job for perfumes that smell like a given one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.keys import IssuedKey
from tasks.search import decode_search_request
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
SIMILAR = "/api/v1/search/similar"


def test_similar_queues_a_search_job_that_decodes_to_a_like_request(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    response = client.post(SIMILAR, headers=auth(keys["alice"]),
                           json={"perfume_id": "ysl-black-opium-2014", "top_k": 5,
                                 "filters": {"gender": ["feminine"]}})
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "search" and job["status"] == "queued"
    assert job["input"] == {"similar_to": "ysl-black-opium-2014", "top_k": 5,
                            "include_editions": False, "filters": {"gender": ["feminine"]}}
    assert enqueuer.sent == [("search", job["id"])]
    request = decode_search_request(job["input"])
    assert (request.similar_to, request.query, request.top_k) == ("ysl-black-opium-2014", "", 5)
    assert request.filters.gender == ["feminine"] and not request.include_editions


def test_similar_validates_the_perfume_id_and_needs_the_search_scope(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    response = client.post(SIMILAR, headers=auth(keys["alice"]),
                           json={"perfume_id": "Black Opium!", "top_k": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {"perfume_id", "top_k"} <= {e["field"] for e in response.json()["errors"]}
    assert client.post(SIMILAR, json={"perfume_id": "x"}).status_code == 401
