"""Warm models per tenant: each job runs on the version that serves its tenant (the tenant's
own active version, else the deployment default, else the base model), built once and kept
warm in a bounded cache.

`ServedVersions` resolves a tenant's version at most once per `refresh_s` (one indexed query)
and keeps up to `capacity` built versions besides the base model, evicting the least
recently used (closed a little later: a batch in flight may still hold it). When a tenant's
version changes, the new one is built in a background thread while the tenant's jobs keep
running on what served them before, then swapped in: a job never waits for a rebuild it did
not need, and each job runs wholly on one version. A version that fails to build is
logged, not retried for `retry_failed_s`, and the tenant is served the base model meanwhile:
a bad version never fails a job. Load times and the number of versions held warm are
exported as metrics, by model name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from config.log_context import bind
from core.metrics import MODEL_LOAD_SECONDS, MODELS_SERVED
from core.registry import ServingIds

log = logging.getLogger(__name__)
T = TypeVar("T")
CLOSE_DELAY_S = 60.0


@dataclass(frozen=True)
class Served(Generic[T]):
    """A value built for `version_id` (None: the built-in base model)."""

    version_id: str | None
    value: T


class ServedVersions(Generic[T]):
    def __init__(self, build: Callable[[str | None], T],
                 resolve: Callable[[str], str | None], *, capacity: int = 4,
                 refresh_s: float = 10.0, retry_failed_s: float = 300.0,
                 close: Callable[[T], None] | None = None, name: str = "model") -> None:
        self._build, self._capacity = build, capacity
        self._refresh_s, self._retry_failed_s = refresh_s, retry_failed_s
        self._close, self._name = close, name
        self._built: OrderedDict[str | None, Served[T]] = OrderedDict()
        self._wanted = ServingIds(resolve, refresh_s, name=name)
        self._serving: dict[str, str | None] = {}  # tenant -> the version it ran on last
        self._failed: dict[str, float] = {}
        self._building: set[str | None] = set()
        self._build_locks: dict[str | None, threading.Lock] = {}
        self._lock = threading.Lock()  # guards the dicts above; never held while building

    def base(self) -> Served[T]:
        """The built-in base model (built on first use, never evicted)."""
        return self._get(None)

    def for_tenant(self, tenant_id: str) -> Served[T]:
        """What the tenant's job runs on now; the calling thread's log lines say so
        (`model_version`, until its task ends)."""
        served = self._for_tenant(tenant_id)
        bind(model_version=f"{self._name}:{served.version_id or 'base'}")
        return served

    def _for_tenant(self, tenant_id: str) -> Served[T]:
        wanted = self._wanted(tenant_id)
        with self._lock:
            ready = self._built.get(wanted)
            fallback = self._built.get(self._serving[tenant_id]) \
                if tenant_id in self._serving else None
            if ready is not None:
                self._built.move_to_end(wanted)
                self._serving[tenant_id] = wanted
                return ready
        if wanted is not None and self._recently_failed(wanted):
            return fallback or self.base()
        if fallback is not None:  # keep serving it while the new version builds
            self._build_in_background(wanted)
            return fallback
        served = self._get(wanted)
        with self._lock:
            self._serving[tenant_id] = served.version_id
        return served

    def _recently_failed(self, version_id: str) -> bool:
        with self._lock:
            failed_at = self._failed.get(version_id)
        return failed_at is not None and time.monotonic() - failed_at < self._retry_failed_s

    def _get(self, version_id: str | None) -> Served[T]:
        """The built version, building it first if needed (one build per version at a time;
        jobs of other versions are not held up)."""
        with self._lock:
            ready = self._built.get(version_id)
            if ready is not None:
                self._built.move_to_end(version_id)
                return ready
            build_lock = self._build_locks.setdefault(version_id, threading.Lock())
        with build_lock:
            with self._lock:
                ready = self._built.get(version_id)
            if ready is not None:
                return ready
            try:
                return self._add(version_id)
            except Exception:
                if version_id is None:
                    raise
                log.exception("%s: loading version %s failed; serving the base model",
                              self._name, version_id)
                with self._lock:
                    self._failed[version_id] = time.monotonic()
                return self.base()

    def _add(self, version_id: str | None) -> Served[T]:
        log.info("%s: loading version %s", self._name, version_id or "base")
        started = time.monotonic()
        served = Served(version_id, self._build(version_id))
        took = time.monotonic() - started
        MODEL_LOAD_SECONDS.labels(self._name).observe(took)
        # its end too: a version's index took 40 s to build, and the log only said it began
        log.info("%s: version %s ready in %.1f s", self._name, version_id or "base", took)
        with self._lock:
            self._built[version_id] = served
            if version_id is not None:
                self._failed.pop(version_id, None)
            evicted = self._evict()
            MODELS_SERVED.labels(self._name).set(len(self._built))
        for old in evicted:
            self._close_later(old)
        return served

    def _build_in_background(self, version_id: str | None) -> None:
        with self._lock:
            if version_id in self._building:
                return
            self._building.add(version_id)

        def build() -> None:
            try:
                self._get(version_id)
            finally:
                with self._lock:
                    self._building.discard(version_id)

        threading.Thread(target=build, name=f"build-{self._name}", daemon=True).start()

    def _evict(self) -> list[Served[T]]:
        versions = [v for v in self._built if v is not None]
        evicted = [self._built.pop(v) for v in versions[:max(0, len(versions) -
                                                             self._capacity)]]
        for served in evicted:
            log.info("%s: evicting version %s (least recently used)", self._name,
                     served.version_id)
        return evicted

    def _close_later(self, served: Served[T]) -> None:
        if self._close is None:
            return
        timer = threading.Timer(CLOSE_DELAY_S, self._close_quietly, (served,))
        timer.daemon = True
        timer.start()

    def _close_quietly(self, served: Served[T]) -> None:
        try:
            if self._close is not None:
                self._close(served.value)
        except Exception:
            log.warning("%s: closing version %s failed", self._name, served.version_id,
                        exc_info=True)
