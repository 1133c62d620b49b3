"""Two adjustments to kombu's Redis transport: guards around a race on broker loss, and one
client object per channel instead of a new one for every command.

**The race.**
When Redis goes away while a worker holds unacknowledged messages, the consumer closes its
channel and kombu tries to hand those messages back at once (`QoS.restore_unacked`). If the
channel's connection was already torn down, kombu raises `AttributeError: 'NoneType' object
has no attribute 'hostname'` (kombu 5.7, `redis.Channel._connparams`), which Celery treats
as unrecoverable: the worker exits instead of reconnecting (seen in our Redis-restart test;
the same family as celery/kombu#970 and celery/celery#10205). The acknowledgement of a task
that finished just as the connection went (`QoS.ack`, `QoS.reject`, run later by the
consumer's event loop on the old channel) fails the same way (`... has no attribute
'client'`, seen once in a full test run).

Nothing is lost by skipping that early hand-back or that acknowledgement: the messages stay
in Redis's unacked index and the visibility-timeout restore (`QoS.restore_visible`) brings
them back; the job store's leases make the redelivery safe (a finished job's redelivery is
skipped). So the guards log and let the consumer reconnect.

**One client per channel.** `Channel.conn_or_acquire()` (kombu 5.7) builds a new
`redis.Redis` around the channel's connection pool for every publish, every task event and
every queue-length query. Building one copies redis-py's table of response callbacks: in a
worker draining a queue of no-op jobs it was ~7 % of the process's Python time (py-spy).
A client is only a handle on the pool (each command takes a connection from the pool), so
one per channel serves every caller; it is rebuilt when kombu replaces the pool after a
connection loss.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)


def tolerate_torn_down_connection(restore: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(restore)
    def restore_unacked(self: Any, client: Any = None) -> Any:
        try:
            return restore(self, client)
        except AttributeError:
            log.warning("broker connection already closed: %d unacked message(s) will come "
                        "back through the visibility timeout", len(self._delivered))
            self._delivered.clear()
            return None

    restore_unacked.__fragrance_guard__ = True  # type: ignore[attr-defined]
    return restore_unacked


def settle_or_leave_to_restore(settle: Callable[..., Any]) -> Callable[..., Any]:
    """`QoS.ack` / `QoS.reject` that, on a channel whose connection is gone, leave the
    message to the visibility-timeout restore instead of raising."""
    @functools.wraps(settle)
    def settled(self: Any, delivery_tag: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return settle(self, delivery_tag, *args, **kwargs)
        except AttributeError:
            if getattr(self.channel, "connection", None) is not None:
                raise  # not the torn-down channel: a real bug
            log.warning("broker connection already closed: message %s was not acknowledged; "
                        "the visibility timeout brings it back and its finished job is "
                        "skipped", delivery_tag)
            return None

    settled.__fragrance_guard__ = True  # type: ignore[attr-defined]
    return settled


@contextmanager
def one_client_per_channel(self: Any, client: Any = None) -> Iterator[Any]:
    """`Channel.conn_or_acquire`: the given client, else the channel's own one."""
    if client:
        yield client
        return
    pool = self.pool
    own = self.__dict__.get("_fragrance_client")
    if own is None or own.connection_pool is not pool:
        own = self._create_client()
        self.__dict__["_fragrance_client"] = own
    yield own


one_client_per_channel.__fragrance_guard__ = True  # type: ignore[attr-defined]


def apply() -> None:
    """Install the guards and the shared client once per process (idempotent)."""
    qos = kombu_redis.QoS
    if not getattr(qos.restore_unacked, "__fragrance_guard__", False):
        qos.restore_unacked = tolerate_torn_down_connection(  # type: ignore[method-assign]
            qos.restore_unacked)
    if not getattr(qos.ack, "__fragrance_guard__", False):
        qos.ack = settle_or_leave_to_restore(qos.ack)  # type: ignore[method-assign]
    if not getattr(qos.reject, "__fragrance_guard__", False):
        qos.reject = settle_or_leave_to_restore(qos.reject)  # type: ignore[method-assign]
    channel = kombu_redis.Channel
    if not getattr(channel.conn_or_acquire, "__fragrance_guard__", False):
        channel.conn_or_acquire = one_client_per_channel  # type: ignore[method-assign]
