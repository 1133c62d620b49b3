"""Each task lands in its own queue and only there, on a real Redis, from both producers
(the API's enqueuer and the workers' app, used by maintenance and webhooks)."""

from __future__ import annotations

import pytest
import redis

from api.enqueue import CeleryEnqueuer
from config import load_settings
from core.states import QUEUES
from workers.app import create_celery

pytestmark = pytest.mark.integration


def depths(client: redis.Redis) -> dict[str, int]:
    return {queue: int(client.llen(queue)) for queue in QUEUES}  # type: ignore[arg-type]


def test_every_message_reaches_exactly_its_queue(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    app = create_celery(load_settings("testing", broker_url=redis_url))
    with app.connection_for_write() as connection:  # what a worker on every queue declares
        for queue in app.amqp.queues.values():
            queue(connection.default_channel).declare()
    app.send_task("maintenance.recover", queue="maintenance")
    app.send_task("webhooks.deliver", args=[["job-1"]], queue="webhooks")
    app.send_task("search.run", args=["job-2"], queue="search")
    assert depths(client) == {"search": 1, "recipe": 0, "training": 0, "webhooks": 1,
                              "maintenance": 1}
    enqueuer = CeleryEnqueuer(redis_url, 60)
    enqueuer.enqueue_many("recipe", ["job-3"])
    enqueuer.enqueue_many("training", ["job-4", "job-5"])
    assert depths(client) == {"search": 1, "recipe": 1, "training": 2, "webhooks": 1,
                              "maintenance": 1}
    enqueuer.close()
    app.close()
    client.flushdb()
