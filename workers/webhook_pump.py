"""The webhook senders of a worker that consumes the `webhooks` queue: they take due messages
from the outbox (`core.deliveries`) and send them, driven by the outbox itself rather than a
schedule.

The pump wakes when a commit puts work in the outbox (`core.webhooks` publishes on
`WEBHOOKS_CHANNEL` after it), when the next retry falls due (it asks the outbox when that
is), and every `sweep_s` as a safety net for a lost wake-up. Woken, it starts enough sender
loops for what is due (at most `senders`); each leases a batch of stream heads, sends them
concurrently and records the attempts, until nothing is due. Several workers may pump the
same outbox: the lease on each message gives it to one sender.

What the worker log says of receivers (`ReceiverLog`): one WARNING when a receiver's host
starts failing (its first failure since it last answered, or ever), one WARNING per message
dead-lettered, and each failed attempt that will be retried at DEBUG; a line names the
receiver's host only, never its URL's path or query (they may carry a token).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from urllib.parse import urlsplit

import redis

from config.log_redaction import redact
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.errors import StoreUnavailable
from core.webhooks import DEAD, WEBHOOKS_CHANNEL
from workers.wake_on_publish import wake_on_publish

log = logging.getLogger(__name__)
BATCH = 32
MIN_GAP_S = 0.02  # wake-ups come per commit: bound how often the outbox is asked


def receiver_host(url: str) -> str:
    """The host of a receiver's URL, for a log line: no credentials, path or query."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def attempt_error(message: OutgoingMessage, result: AttemptResult, host: str) -> str:
    """What went wrong with one attempt, as a log line may show it: the status code and
    the error, with the message's URL (were an error to quote it) reduced to its host."""
    parts = ([f"HTTP {result.status_code}"] if result.status_code is not None else []) + \
        ([result.error] if result.error else [])
    text = ": ".join(parts) or "failed"
    return redact(text.replace(message.url, host) if message.url else text)


class ReceiverLog:
    """The worker log's account of webhook receivers. A host's failures are told once
    (WARNING at its first failure since it last answered with a 2xx, or since this process
    started), not per retry (DEBUG); a dead-lettered message is told once (WARNING); a
    failing host that answers again is told (INFO). Thread-safe: several sender loops."""

    MAX_FAILING = 10_000  # hosts remembered as failing (a bound: tenants choose URLs)

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log
        self._failing: set[str] = set()
        self._lock = threading.Lock()

    def report(self, outcomes: Sequence[tuple[OutgoingMessage, AttemptResult]],
               statuses: Sequence[str]) -> None:
        for (message, result), status in zip(outcomes, statuses, strict=True):
            if not result.busy:  # busy: postponed, no attempt was made
                self._attempted(message, result, status)

    def _attempted(self, message: OutgoingMessage, result: AttemptResult, status: str) -> None:
        host = receiver_host(message.url)
        if result.delivered:
            with self._lock:
                recovered = host in self._failing
                self._failing.discard(host)
            if recovered:
                self._log.info("webhook receiver %s is answering again", host)
            return
        error = attempt_error(message, result, host)
        event_type = message.payload.get("type", "?")
        with self._lock:
            first = host not in self._failing
            if first:
                if len(self._failing) >= self.MAX_FAILING:
                    self._failing.clear()
                self._failing.add(host)
        if first:
            self._log.warning("webhook receiver %s is failing: %s (message %s, %s); its "
                              "further failures are logged at DEBUG until it answers",
                              host, error, message.id, event_type)
        if status == DEAD:
            self._log.warning("webhook message %s (%s) to %s dead-lettered after attempt "
                              "%d: %s", message.id, event_type, host, message.attempt, error)
        else:
            self._log.debug("webhook message %s (%s) to %s: attempt %d failed: %s; will "
                            "retry", message.id, event_type, host, message.attempt, error)


class WebhookPump:
    def __init__(self, deliveries: DeliveryStore,
                 send: Callable[[OutgoingMessage], AttemptResult], broker_url: str, *,
                 lease_s: float, sweep_s: float, senders: int = 8,
                 receivers: ReceiverLog | None = None) -> None:
        self._deliveries, self._send = deliveries, send
        self._receivers = receivers or ReceiverLog()
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
            outcomes = list(zip(messages, results, strict=True))
            self._receivers.report(outcomes, self._deliveries.record(outcomes))
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
