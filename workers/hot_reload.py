"""Hot reload: a serving worker swaps its warm model for the registry's active version
without a restart.

`HotSwap` holds what was built for one model version. A daemon thread asks the registry for
the active version every `interval_s` (one indexed query) and, when it changed, builds the
new value in that thread while jobs keep using the old one, then swaps the reference (one
assignment: atomic). A job reads the reference once, so each job runs wholly on one version.
The replaced value is closed at the following swap, long after the jobs that held it ended;
until then, switching back to it (a rollback) is immediate.
A build that fails is logged and not retried until the active version changes again; the
worker keeps serving what it has, so a bad version never fails a job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_NO_FAILURE = object()  # not None: the base model (None) may be the one that failed


@dataclass(frozen=True)
class Served(Generic[T]):
    """A value built for `version_id` (None: the built-in base model)."""

    version_id: str | None
    value: T


class HotSwap(Generic[T]):
    def __init__(self, build: Callable[[str | None], T], active_id: Callable[[], str | None],
                 interval_s: float, close: Callable[[T], None] | None = None,
                 name: str = "model") -> None:
        self._build, self._active_id, self._interval_s = build, active_id, interval_s
        self._close, self._name = close, name
        self._current: Served[T] | None = None
        self._retired: Served[T] | None = None
        self._failed: object = _NO_FAILURE
        self._lock = threading.Lock()  # one build or swap at a time
        self._stop = threading.Event()

    @property
    def current(self) -> Served[T]:
        """What jobs should use now. Raises RuntimeError before `start`."""
        served = self._current
        if served is None:
            raise RuntimeError("HotSwap.start() was not called")
        return served

    def start(self) -> Served[T]:
        """Build for the active version (falling back to the base model if that fails) and
        start polling when `interval_s` > 0."""
        wanted = self._poll()
        try:
            self._current = Served(wanted, self._build(wanted))
        except Exception:
            if wanted is None:
                raise
            log.exception("loading %s version %s failed; serving the base model",
                          self._name, wanted)
            self._failed = wanted
            self._current = Served(None, self._build(None))
        if self._interval_s > 0:
            threading.Thread(target=self._loop, name=f"hot-reload-{self._name}",
                             daemon=True).start()
        return self._current

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> bool:
        """Poll once; build and swap when the active version changed. True if swapped."""
        with self._lock:
            wanted = self._poll()
            if wanted == self.current.version_id or wanted == self._failed:
                return False
            log.info("%s: switching from version %s to %s", self._name,
                     self.current.version_id, wanted)
            if self._retired is not None and self._retired.version_id == wanted:
                # back to the version served before (a rollback): it is still open
                self._current, self._retired = self._retired, self.current
                self._failed = _NO_FAILURE
                return True
            try:
                fresh = Served(wanted, self._build(wanted))
            except Exception:
                log.exception("loading %s version %s failed; still serving %s", self._name,
                              wanted, self.current.version_id)
                self._failed = wanted
                return False
            self._retire(self.current)
            self._current, self._failed = fresh, _NO_FAILURE
            return True

    def _poll(self) -> str | None:
        try:
            return self._active_id()
        except Exception:  # the registry is unreachable: keep what is served
            log.warning("%s: could not read the active version", self._name, exc_info=True)
            return self._current.version_id if self._current else None

    def _retire(self, served: Served[T]) -> None:
        """Close the value replaced one swap ago; keep the one replaced now (jobs may still
        hold it)."""
        old, self._retired = self._retired, served
        if old is not None and self._close is not None:
            try:
                self._close(old.value)
            except Exception:
                log.warning("closing %s version %s failed", self._name, old.version_id,
                            exc_info=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.check()
