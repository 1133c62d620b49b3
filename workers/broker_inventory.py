"""Which jobs have a message in the broker now: waiting in a queue's list, or delivered to a
worker and not yet acknowledged (kombu's Redis transport keeps those in its `unacked`
hash until the ack). A job in neither has lost its message.

Reading a queue's whole list is cheap because fair dispatch bounds it (a window per tenant).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis

from core.dispatch import job_id_of

UNACKED_HASH = "unacked"  # kombu.transport.redis.Channel.unacked_key
BROKER_MARK = "fragrance:broker-mark"


def _task_id(raw: bytes | str) -> str | None:
    try:
        message: Any = json.loads(raw)
        if isinstance(message, list):  # unacked entries: [message, exchange, routing key]
            message = message[0]
        return str(message["headers"]["id"])
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def jobs_in_broker(client: redis.Redis, queues: Iterable[str]) -> set[str]:
    """Ids of the jobs with a message waiting or unacknowledged in `queues`."""
    raws: list[bytes] = []
    for queue in queues:
        raws.extend(client.lrange(queue, 0, -1))  # type: ignore[arg-type]
    raws.extend(client.hvals(UNACKED_HASH))  # type: ignore[arg-type]
    return {job_id_of(task_id) for task_id in map(_task_id, raws) if task_id}


def broker_lost_its_data(client: redis.Redis) -> bool:
    """True when the broker's mark is gone (and set it again): Redis restarted without
    persistence, or was flushed, since the last call, and every message it held is lost.
    Also True on the first call against a new Redis, which costs one early check."""
    return bool(client.set(BROKER_MARK, "1", nx=True))
