"""A wake-up signal sent off the caller's thread: `notify()` never blocks (it may run inside a
database commit), and a burst of notifications while one is being sent costs one more
send, not one each. A send that fails is dropped: whoever is woken must also look on its own
now and then (the webhook senders sweep the outbox)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Wakeup:
    def __init__(self, send: Callable[[], object], name: str = "wakeup") -> None:
        self._send, self._name = send, name
        self._pending = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        self._pending.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self._name,
                                                    daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            self._pending.wait()
            self._pending.clear()
            try:
                self._send()
            except Exception as exc:
                log.debug("%s not sent (%s)", self._name, type(exc).__name__)
