from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config import load_settings
from core.job_labels import JobLabels
from core.keys import IssuedKey, KeyRing


@dataclass
class RecordingEnqueuer:
    """Fake of the Celery producer seam (the e2e tests use the real one)."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    labels: dict[str, JobLabels] = field(default_factory=dict)

    def enqueue_many(self, kind: str, job_ids: list[str],
                     labels: Mapping[str, JobLabels] | None = None) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.extend((kind, job_id) for job_id in job_ids)
        self.labels.update(labels or {})


@pytest.fixture
def enqueuer() -> RecordingEnqueuer:
    return RecordingEnqueuer()


@pytest.fixture
def client(database_url: str, redis_url: str, enqueuer: RecordingEnqueuer
           ) -> Iterator[TestClient]:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             max_body_bytes=4096)
    with TestClient(create_app(settings, enqueuer=enqueuer)) as test_client:
        yield test_client


@pytest.fixture
def keys(key_ring: KeyRing) -> dict[str, IssuedKey]:
    return {
        "alice": key_ring.issue("alice", ["search", "generate"]),
        "bob": key_ring.issue("bob", ["search"]),
        "reader": key_ring.issue("reader", ["generate"]),
    }


def auth(key: IssuedKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.api_key}"}
