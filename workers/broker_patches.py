"""A guard around one kombu race on Redis broker loss.

When Redis goes away while a worker holds unacknowledged messages, the consumer closes its
channel and kombu tries to hand those messages back at once (`QoS.restore_unacked`). If the
channel's connection was already torn down, kombu raises `AttributeError: 'NoneType' object
has no attribute 'hostname'` (kombu 5.7, `redis.Channel._connparams`), which Celery treats
as unrecoverable: the worker exits instead of reconnecting (seen in our Redis-restart test;
the same family as celery/kombu#970 and celery/celery#10205).

Nothing is lost by skipping that early hand-back: the messages stay in Redis's unacked index
and the visibility-timeout restore (`QoS.restore_visible`) brings them back; the job store's
leases make the redelivery safe. So the guard logs and lets the consumer reconnect.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
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


def apply() -> None:
    """Install the guard once per process (idempotent)."""
    qos = kombu_redis.QoS
    if not getattr(qos.restore_unacked, "__fragrance_guard__", False):
        qos.restore_unacked = tolerate_torn_down_connection(  # type: ignore[method-assign]
            qos.restore_unacked)
