"""Raw Celery, for `fragrance bench ceiling`: a task that does nothing but say it ran (a
timestamp pushed on a Redis list), on the same broker settings as the product's workers
(`acks_late`, JSON, one message prefetched per thread), with a result backend for
`delay().get()`."""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

QUEUE = "bench-noop"
DONE = "bench-noop:done"

app = Celery("bench-noop", broker=os.environ.get("FRAGRANCE_BROKER_URL", "redis://"),
             backend=os.environ.get("FRAGRANCE_RESULT_BACKEND", "redis://"))
app.conf.update(task_serializer="json", accept_content=["json"], task_acks_late=True,
                worker_prefetch_multiplier=1, task_default_queue=QUEUE,
                broker_connection_retry_on_startup=True)
_redis: redis.Redis | None = None


@app.task(name="bench.noop")
def noop(record: bool = True) -> None:
    global _redis
    if record:
        _redis = _redis or redis.Redis.from_url(os.environ["FRAGRANCE_BROKER_URL"])
        _redis.rpush(DONE, time.time())
