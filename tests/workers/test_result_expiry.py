"""Celery's result of a task expires after `result_expires_s` (the job store keeps the job):
the result backend's keys in Redis do not pile up for a day at the message rate."""

from __future__ import annotations

import pytest
import redis

from config import load_settings
from workers.app import create_celery

pytestmark = pytest.mark.integration


def test_a_tasks_result_is_kept_for_the_configured_time_only(redis_url: str) -> None:
    app = create_celery(load_settings("testing", broker_url=redis_url, result_backend=redis_url,
                                      result_expires_s=120))
    try:
        app.backend.store_result("result-expiry-probe", {"job_id": "j", "outcome": "succeeded"},
                                 "SUCCESS")
        client = redis.Redis.from_url(redis_url)
        ttl = client.ttl("celery-task-meta-result-expiry-probe")
        assert 0 < ttl <= 120
        client.delete("celery-task-meta-result-expiry-probe")
    finally:
        app.close()


def test_the_default_keeps_results_an_hour() -> None:
    assert load_settings("development").result_expires_s == 3600
