"""The webhook senders of a worker that consumes the `webhooks` queue: they take due messages
from the outbox (`core.deliveries`) and send them, driven by the outbox itself rather than a
schedule.

The pump wakes when a commit puts work in the outbox (`core.webhooks` publishes on
`WEBHOOKS_CHANNEL` after it), when the next retry falls due (it asks the outbox when that
is), and every `sweep_s` as a safety net for a lost wake-up. Woken, it starts enough sender
loops for what is due (at most `senders`); each leases a batch of stream heads, sends them
concurrently and records the attempts, until nothing is due. Several workers may pump the
same outbox: the lease on each message gives it to one sender.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

import redis

from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.errors import StoreUnavailable
from core.webhooks import WEBHOOKS_CHANNEL
from workers.wake_on_publish import wake_on_publish

log = logging.getLogger(__name__)
BATCH = 32
MIN_GAP_S = 0.02  # wake-ups come per commit: bound how often the outbox is asked


class WebhookPump:
    def __init__(self, deliveries: DeliveryStore,
                 send: Callable[[OutgoingMessage], AttemptResult], broker_url: str, *,
                 lease_s: float, sweep_s: float, senders: int = 8) -> None:
        self._deliveries, self._send = deliveries, send
        self._lease_s, self._sweep_s, self._senders = lease_s, sweep_s, senders
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=None,
                                           socket_connect_timeout=2)
        self._loops = ThreadPoolExecutor(senders, thread_name_prefix="webhook-loop")
        self._http = ThreadPoolExecutor(BATCH, thread_name_prefix="webhook-send")
        self._wake = threading.Event()
        self._stop = threading.Event()

    def start(self) -> WebhookPump:
        threading.Thread(target=self._run, name="webhook-pump", daemon=True).start()
        threading.Thread(target=self._listen, name="webhook-wake", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def drain(self) -> int:
        """Send until nothing is due; returns how many messages were sent."""
        due = self._deliveries.due_count()
        loops = min(self._senders, math.ceil(due / BATCH))
        futures = [self._loops.submit(self._send_until_empty) for _ in range(loops)]
        wait(futures)
        return sum(future.result() for future in futures)

    def _send_until_empty(self) -> int:
        sent = 0
        while not self._stop.is_set():
            messages = self._deliveries.claim_due(BATCH, self._lease_s)
            if not messages:
                break
            results = list(self._http.map(self._send, messages))
            self._deliveries.record(list(zip(messages, results, strict=True)))
            sent += len(messages)
        return sent

    def _run(self) -> None:
        pause = 0.0  # drain at once on start: work may have waited for a sender
        while not self._stop.is_set():
            self._wake.wait(pause)
            self._wake.clear()
            try:
                self.drain()
                pause = self._next_pause()
            except (StoreUnavailable, OSError) as exc:
                log.warning("sending webhooks failed (%s); retrying", type(exc).__name__)
                pause = 1.0
            except Exception:
                log.exception("sending webhooks failed; retrying")
                pause = 1.0
            self._stop.wait(MIN_GAP_S)

    def _next_pause(self) -> float:
        due_in = self._deliveries.next_due_in()
        return self._sweep_s if due_in is None else min(max(due_in, MIN_GAP_S), self._sweep_s)

    def _listen(self) -> None:
        wake_on_publish(self._redis, WEBHOOKS_CHANNEL, self._wake, self._stop)
