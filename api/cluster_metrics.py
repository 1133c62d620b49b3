"""What is true of the whole deployment, exported at scrape time by the API (one process
reads it, not every worker): jobs by kind and status, each queue's depth, the age of its
oldest message and its live workers, the oldest queued job and the fair-dispatch backlog per
kind, readiness, webhook messages pending, and the workers' circuit breakers.

A source that does not answer leaves its metrics out of this scrape; it never fails it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.breakers import worker_breakers
from api.readiness import ClusterProbe
from core.deliveries import DeliveryStore
from core.dispatch import DispatchQueue
from core.heartbeats import BREAKER_STATES
from core.kinds import KINDS
from core.models import utcnow
from core.states import QUEUES, JobStatus
from core.store import JobStore

log = logging.getLogger(__name__)


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


class ClusterCollector(Collector):
    def __init__(self, store: JobStore, probe: ClusterProbe, dispatch: DispatchQueue,
                 deliveries: DeliveryStore) -> None:
        self._store, self._probe = store, probe
        self._dispatch, self._deliveries = dispatch, deliveries

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing to read at registration: every value is read at scrape time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for part in (self._jobs, self._queues, self._workers, self._breakers,
                     self._readiness):
            yield from _safely(part)

    def _jobs(self) -> Iterator[GaugeMetricFamily]:
        jobs = _gauge("fragrance_jobs", "Jobs in the store by kind and status",
                      ("kind", "status"))
        counts = self._store.counts_by_status()
        for kind in KINDS:  # every pair, 0 included: a panel of queued jobs is never empty
            for status in JobStatus:
                jobs.add_metric([kind, str(status)], counts.get((kind, str(status)), 0))
        yield jobs
        oldest = _gauge("fragrance_oldest_queued_job_age_seconds",
                        "Age of the oldest job still queued (in the broker or the backlog)",
                        ("kind",))
        now, queued = utcnow(), self._store.oldest_queued()
        for kind in KINDS:  # 0: nothing queued
            age = (now - queued[kind]).total_seconds() if kind in queued else 0.0
            oldest.add_metric([kind], max(age, 0.0))
        yield oldest
        backlog = _gauge("fragrance_dispatch_backlog",
                         "Jobs waiting in the store for their tenant's turn (fair dispatch)",
                         ("kind",))
        waiting = self._dispatch.backlog()
        for kind in KINDS:
            backlog.add_metric([kind], waiting.get(kind, 0))
        yield backlog
        pending = _gauge("fragrance_webhook_pending_messages",
                         "Webhook messages not yet delivered or dead-lettered")
        pending.add_metric([], self._deliveries.pending_count())
        yield pending

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        depth = _gauge("fragrance_queue_depth", "Messages waiting in each queue", ("queue",))
        for queue, count in self._probe.queue_depths().items():
            depth.add_metric([queue], count)
        yield depth
        age = _gauge("fragrance_queue_oldest_message_age_seconds",
                     "How long the next message out of each queue has waited", ("queue",))
        ages = self._probe.oldest_message_ages()
        for queue in QUEUES:
            age.add_metric([queue], ages.get(queue, 0.0))
        yield age

    def _workers(self) -> Iterator[GaugeMetricFamily]:
        workers = _gauge("fragrance_queue_workers",
                         "Live workers (by heartbeat) consuming each queue", ("queue",))
        alive = self._probe.workers_by_queue()
        for queue in QUEUES:
            workers.add_metric([queue], len(alive.get(queue, [])))
        yield workers

    def _breakers(self) -> Iterator[GaugeMetricFamily]:
        labels = ("breaker", "worker")
        state = _gauge("fragrance_circuit_breaker_state",
                       "1 for the state each circuit breaker is in", (*labels, "state"))
        failures = _gauge("fragrance_circuit_breaker_failures",
                          "Consecutive failures a circuit breaker has counted", labels)
        retry = _gauge("fragrance_circuit_breaker_retry_after_seconds",
                       "Seconds until an open circuit breaker lets a trial call through",
                       labels)
        now = time.time()
        for found in worker_breakers(self._probe.alive_beats()):
            names = [found.report.name, found.worker]
            for name in BREAKER_STATES:
                state.add_metric([*names, name], float(found.report.state == name))
            failures.add_metric(names, found.report.failures)
            retry.add_metric(names, found.retry_in_s(now))
        yield from (state, failures, retry)

    def _readiness(self) -> Iterator[GaugeMetricFamily]:
        ready = _gauge("fragrance_ready",
                       "1 when /readyz answers ready (database, broker, a worker per queue)")
        ready.add_metric([], float(bool(self._probe.check()["ready"])))
        yield ready


def _safely(part: Callable[[], Iterator[GaugeMetricFamily]]) -> Iterator[GaugeMetricFamily]:
    try:
        families = list(part())
    except Exception as exc:  # a scrape must not fail because a source is down
        log.debug("metrics of %s left out (%s)", part.__name__, type(exc).__name__)
        return
    yield from families
