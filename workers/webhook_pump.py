"""The webhook senders of a worker that consumes the `webhooks` queue: they take due messages
from the outbox (`core.deliveries`) and send them, driven by the outbox itself rather than a
schedule.

The pump wakes when a commit puts work in the outbox (`core.webhooks` publishes on
`WEBHOOKS_CHANNEL` after it), when an attempt is recorded (its stream's next message is due
then), when the next retry falls due (it asks the outbox when that is), and every `sweep_s`
as a safety net for a lost wake-up. Woken, it leases due stream heads while it has free
slots (`senders`) and sends each on its own thread; a recorder thread stores the attempts
as they end. Several workers may pump the same outbox: the lease on each message gives it
to one sender.

What the worker log says of receivers (`ReceiverLog`): one WARNING when a receiver's host
starts failing (its first failure since it last answered, or ever), one WARNING per message
dead-lettered, and each failed attempt that will be retried at DEBUG; a line names the
receiver's host only, never its URL's path or query (they may carry a token).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import redis

from config.log_redaction import redact
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.errors import StoreUnavailable
from core.webhooks import DEAD, WEBHOOKS_CHANNEL
from workers.wake_on_publish import wake_on_publish

log = logging.getLogger(__name__)
BATCH = 32  # messages claimed at once
SENDERS = 32  # messages being sent at once (each holds a slot until its attempt is recorded)
RECORD_BATCH = 256
MIN_GAP_S = 0.02  # wake-ups come per commit: bound how often the outbox is asked
TURN_POSTPONE_S = 0.1  # a message whose tenant is at its share, while its sends are young
BUSY_TURN_S = 1.0  # ... once the tenant's oldest send has run this long


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
        with self._lock:
            first = host not in self._failing
            if first:
                if len(self._failing) >= self.MAX_FAILING:
                    self._failing.clear()
                self._failing.add(host)
        about = _about(message)
        if first:
            self._log.warning("webhook receiver %s is failing: %s (message %s, %s); its "
                              "further failures are logged at DEBUG until it answers",
                              host, error, message.id, about)
        if status == DEAD:
            self._log.warning("webhook message %s (%s) to %s dead-lettered after attempt "
                              "%d: %s", message.id, about, host, message.attempt, error)
        else:
            self._log.debug("webhook message %s (%s) to %s: attempt %d failed: %s; will "
                            "retry", message.id, about, host, message.attempt, error)


def _about(message: OutgoingMessage) -> str:
    """The message's event, the job or batch it tells of and whose it is: what an operator
    needs to find its deliveries (a dead letter's line named only the message and host)."""
    event_type = str(message.payload.get("type", "?"))
    data = message.payload.get("data")
    subject = data.get("id") if isinstance(data, dict) else None
    what = "batch" if event_type.startswith("batch.") else "job"
    of = f" of {what} {subject}" if subject else ""
    return f"{event_type}{of}, tenant {message.tenant_id or '?'}"


class WebhookPump:
    """Sends the outbox's due messages, `senders` at once. Each message holds its slot from
    its claim until its attempt is recorded, and the pump claims more as soon as a slot is
    free: a receiver that takes its whole timeout to answer holds one slot (or its host's
    few, `per_host`), never the others. (It used to send in batches of 32 and wait for the
    slowest of each: one tenant's 10 s receiver delayed every other tenant's webhooks, to
    any host, by up to 10 s.) A tenant holds at most `senders` less a quarter of them
    (rounded down) at once: its messages beyond that are postponed like a busy host's, so
    receivers of one tenant on many hosts (the per-host limit bounds each) cannot take
    every sender for their whole timeout. Attempts that end together are recorded
    together, by one recorder thread, in one transaction."""

    def __init__(self, deliveries: DeliveryStore,
                 send: Callable[[OutgoingMessage], AttemptResult], broker_url: str, *,
                 lease_s: float, sweep_s: float, senders: int = SENDERS,
                 receivers: ReceiverLog | None = None) -> None:
        self._deliveries, self._send = deliveries, send
        self._receivers = receivers or ReceiverLog()
        self._lease_s, self._sweep_s, self._senders = lease_s, sweep_s, senders
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=None,
                                           socket_connect_timeout=2)
        self._http = ThreadPoolExecutor(senders, thread_name_prefix="webhook-send")
        self._attempted: queue.SimpleQueue[tuple[OutgoingMessage, AttemptResult] | None] = \
            queue.SimpleQueue()
        self._in_flight = 0  # claimed and not yet recorded
        self._tenant_cap = senders - senders // 4  # all of them below 4 senders
        # tenant -> its messages being sent now (message id -> when its turn began)
        self._sending: dict[str, dict[str, float]] = {}
        self._slots = threading.Condition()
        self._claiming = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._record, name="webhook-record", daemon=True).start()

    def start(self) -> WebhookPump:
        threading.Thread(target=self._run, name="webhook-pump", daemon=True).start()
        threading.Thread(target=self._listen, name="webhook-wake", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._attempted.put(None)

    def wake(self) -> None:
        self._wake.set()

    def drain(self) -> int:
        """Send until nothing is due and every attempt is recorded; returns how many
        messages were sent."""
        sent = 0
        while not self._stop.is_set():
            sent += self._send_due()
            with self._slots:
                self._slots.wait_for(lambda: self._in_flight == 0 or self._stop.is_set())
            if not self._deliveries.due_count():
                break
        return sent

    def _send_due(self) -> int:
        """Claim due messages while slots are free and start sending them; returns at once
        (their attempts are recorded as they end)."""
        started = 0
        with self._claiming:
            while not self._stop.is_set():
                with self._slots:
                    free = self._senders - self._in_flight
                if free <= 0:
                    break
                messages = self._deliveries.claim_due(min(free, BATCH), self._lease_s)
                if not messages:
                    break
                with self._slots:
                    self._in_flight += len(messages)
                for index, message in enumerate(messages):
                    postpone_s = self._take_turn(message)
                    if postpone_s is not None:  # postponed, not sent
                        self._attempted.put((message, AttemptResult(
                            None, None, 0.0, busy=True, retry_after_s=postpone_s)))
                        continue
                    try:
                        self._http.submit(self._attempt, message)
                    except RuntimeError:  # the pool is shut down: the process is exiting
                        self._end_turn(message)
                        self._give_back(messages[index:])
                        self.stop()
                        return started
                    started += 1
        return started

    def _take_turn(self, message: OutgoingMessage) -> float | None:
        """Start the message's turn (None), or say how long to postpone it: its tenant is
        sending as many as it may. Briefly while the tenant's sends are young (receivers
        that answer free a turn soon: postponed by a second, a tenant's backlog to a
        receiver answering in milliseconds went out a second late, a quarter of it), by a
        second once its oldest has run that long (receivers that hang)."""
        now = time.monotonic()
        with self._slots:
            sending = self._sending.setdefault(message.tenant_id, {})
            if len(sending) < self._tenant_cap:
                sending[message.id] = now
                return None
            running_s = now - min(sending.values())
        return TURN_POSTPONE_S if running_s < BUSY_TURN_S else BUSY_TURN_S

    def _end_turn(self, message: OutgoingMessage) -> None:
        with self._slots:
            sending = self._sending.get(message.tenant_id, {})
            sending.pop(message.id, None)
            if not sending:
                self._sending.pop(message.tenant_id, None)

    def _give_back(self, messages: Sequence[OutgoingMessage]) -> None:
        """Unlease messages that were claimed and will not be sent (due again in a second,
        not when their leases lapse), and free their slots."""
        try:
            self._deliveries.record([(message, AttemptResult(None, None, 0.0, busy=True))
                                     for message in messages])
        except Exception as exc:  # their leases lapse instead
            log.warning("giving back %d webhook messages failed (%s)", len(messages),
                        type(exc).__name__)
        with self._slots:
            self._in_flight -= len(messages)
            self._slots.notify_all()

    def _attempt(self, message: OutgoingMessage) -> None:
        try:
            result = self._send(message)
        except Exception as exc:  # `send` should not raise: retry rather than lose the slot
            log.exception("sending webhook message %s failed", message.id)
            result = AttemptResult(None, f"internal error: {type(exc).__name__}", 0.0)
        finally:
            self._end_turn(message)
        self._attempted.put((message, result))

    def _record(self) -> None:
        """Record attempts as they end, together when several ended meanwhile; free their
        slots and wake the pump (the next message of each stream is due now)."""
        while True:
            first = self._attempted.get()
            if first is None:
                return
            outcomes = [first]
            while len(outcomes) < RECORD_BATCH:
                try:
                    more = self._attempted.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._attempted.put(None)  # stop after this batch
                    break
                outcomes.append(more)
            try:
                self._receivers.report(outcomes, self._deliveries.record(outcomes))
            except Exception as exc:  # the leases lapse: the messages are sent again
                log.warning("recording %d webhook attempts failed (%s); they will be sent "
                            "again", len(outcomes), type(exc).__name__)
            with self._slots:
                self._in_flight -= len(outcomes)
                self._slots.notify_all()
            self._wake.set()

    def _run(self) -> None:
        pause = 0.0  # drain at once on start: work may have waited for a sender
        while not self._stop.is_set():
            self._wake.wait(pause)
            self._wake.clear()
            try:
                self._send_due()
                pause = self._next_pause()
            except (StoreUnavailable, OSError) as exc:
                log.warning("sending webhooks failed (%s); retrying", type(exc).__name__)
                pause = 1.0
            except Exception:
                log.exception("sending webhooks failed; retrying")
                pause = 1.0
            self._stop.wait(MIN_GAP_S)

    def _next_pause(self) -> float:
        with self._slots:
            if self._in_flight >= self._senders:
                return self._sweep_s  # every slot is taken: a recorded attempt wakes the pump
        due_in = self._deliveries.next_due_in()
        return self._sweep_s if due_in is None else min(max(due_in, MIN_GAP_S), self._sweep_s)

    def _listen(self) -> None:
        wake_on_publish(self._redis, WEBHOOKS_CHANNEL, self._wake, self._stop)
