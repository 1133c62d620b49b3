"""Which jobs have a message in the broker now: waiting in a queue's list, or delivered to a
worker and not yet acknowledged (kombu's Redis transport keeps those in its `unacked`
hash until the ack, and when each was delivered in `unacked_index`). A job in neither has
lost its message.

A message a worker took and still holds unacknowledged while its job is still queued (no
claim) has been lost too once it is held long enough: a live worker claims what it takes
at once (it takes no more messages than it has threads), so the worker died (SIGKILL, OOM)
or hangs. Kombu would hand such a message back only after the visibility timeout (hours).
Maintenance publishes the job again and drops the held copy (`drop_held`), so it is not
delivered a second time hours later; a slow worker that still runs it loses the claim to
the new message, or wins it: the job's lease fences the other.

Reading a queue's whole list is cheap because fair dispatch bounds it (a window per tenant).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from core.job_labels import job_ids_in

UNACKED_HASH = "unacked"  # kombu.transport.redis.Channel.unacked_key
UNACKED_INDEX = "unacked_index"  # its unacked_index_key: delivery tag -> delivered at
BROKER_MARK = "fragrance:broker-mark"


def jobs_in_message(raw: bytes | str) -> list[str]:
    """The jobs a raw message, as Redis holds it in a queue's list or the unacked hash,
    carries (one, or a group's: `core.job_labels.job_ids_in`); none for what is not a
    job's message."""
    try:
        message: Any = json.loads(raw)
        if isinstance(message, list):  # unacked entries: [message, exchange, routing key]
            message = message[0]
        headers = message["headers"]
        return job_ids_in(headers, str(headers["id"]))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return []


@dataclass(frozen=True)
class Inventory:
    """`present`: ids of the jobs with a message waiting in a queue, or delivered less than
    the given time ago and not acknowledged; `held`: the delivery tags of older
    unacknowledged messages, by job id."""

    present: set[str]
    held: dict[str, list[bytes]]


def take_inventory(client: redis.Redis, queues: Iterable[str], held_for_s: float) -> Inventory:
    raws: list[bytes] = []
    for queue in queues:
        raws.extend(client.lrange(queue, 0, -1))  # type: ignore[arg-type]
    present = {job_id for raw in raws for job_id in jobs_in_message(raw)}
    held: dict[str, list[bytes]] = {}
    cutoff = time.time() - held_for_s
    delivered: list[tuple[bytes, float]] = client.zrange(  # type: ignore[assignment]
        UNACKED_INDEX, 0, -1, withscores=True)
    tags = [tag for tag, _ in delivered]
    bodies: Any = client.hmget(UNACKED_HASH, tags) if tags else []
    for (tag, at), raw in zip(delivered, bodies, strict=True):
        for job_id in jobs_in_message(raw) if raw is not None else []:
            if at >= cutoff:
                present.add(job_id)
            else:
                held.setdefault(job_id, []).append(tag)
    return Inventory(present, held)


def drop_held(client: redis.Redis, tags: Sequence[bytes]) -> None:
    """Forget these unacknowledged messages (their jobs were published again), as kombu's
    own acknowledgement does."""
    if tags:
        pipe = client.pipeline()
        pipe.zrem(UNACKED_INDEX, *tags)
        pipe.hdel(UNACKED_HASH, *tags)  # type: ignore[arg-type]
        pipe.execute()


def broker_lost_its_data(client: redis.Redis) -> bool:
    """True when the broker's mark is gone (and set it again): Redis restarted without
    persistence, or was flushed, since the last call, and every message it held is lost.
    Also True on the first call against a new Redis, which costs one early check."""
    return bool(client.set(BROKER_MARK, "1", nx=True))
