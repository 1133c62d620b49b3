"""Worker liveness by heartbeat: what readiness trusts instead of a ping.

Each worker process writes `WorkerBeat` into the broker's `HEARTBEATS` hash every
`BEAT_INTERVAL_S` from a thread of its own, so a worker whose pool is busy (a solo or
one-thread training worker in the middle of a run) still shows as alive. A beat older than
`ALIVE_FOR_S` means the worker is gone; readers drop beats older than `FORGET_AFTER_S`.
A beat also carries the state of the worker's circuit breakers (`BreakerReport`), which the
API lists for operators (`GET /api/v1/ops/breakers`) and exports as metrics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

HEARTBEATS = "fragrance:workers"
BEAT_INTERVAL_S = 5.0
ALIVE_FOR_S = 3 * BEAT_INTERVAL_S + 1
FORGET_AFTER_S = 3600.0


BREAKER_STATES = ("closed", "open", "half-open")


@dataclass(frozen=True)
class BreakerReport:
    """A circuit breaker of a worker, as it stood at its worker's beat: `failures` counted
    against `fail_max`; `retry_in_s`, for an open breaker, the seconds until it lets a trial
    call through (0: the next call is the trial)."""

    name: str
    state: str
    failures: int
    fail_max: int
    reset_timeout_s: float
    retry_in_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakerReport:
        state = str(data["state"])
        if state not in BREAKER_STATES:
            raise ValueError(f"unknown breaker state {state!r}")
        return cls(str(data["name"]), state, int(data["failures"]), int(data["fail_max"]),
                   float(data["reset_timeout_s"]), float(data.get("retry_in_s", 0.0)))


@dataclass(frozen=True)
class WorkerBeat:
    name: str
    queues: tuple[str, ...]
    at: float  # seconds since the epoch
    pid: int = 0
    running: int = 0  # jobs this process is running now
    breakers: tuple[BreakerReport, ...] = ()

    def encode(self) -> str:
        return json.dumps({"queues": list(self.queues), "at": self.at, "pid": self.pid,
                           "running": self.running,
                           "breakers": [breaker.to_dict() for breaker in self.breakers]})

    @classmethod
    def decode(cls, name: str, raw: str | bytes) -> WorkerBeat | None:
        try:
            data = json.loads(raw)
            return cls(name, tuple(str(q) for q in data["queues"]), float(data["at"]),
                       int(data.get("pid", 0)), int(data.get("running", 0)),
                       tuple(BreakerReport.from_dict(b) for b in data.get("breakers", ())))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def decode_all(raw: Mapping[bytes | str, bytes | str]) -> list[WorkerBeat]:
    beats = []
    for name, value in raw.items():
        beat = WorkerBeat.decode(name.decode() if isinstance(name, bytes) else name, value)
        if beat is not None:
            beats.append(beat)
    return beats


def read_beats(client: Any) -> list[WorkerBeat]:
    """Every worker's last beat, as the broker's `HEARTBEATS` hash holds it (`client`: a
    redis-py client; its errors pass through)."""
    return decode_all(client.hgetall(HEARTBEATS))


def alive_by_queue(beats: Iterable[WorkerBeat], now: float) -> dict[str, list[str]]:
    """Queue -> names of the workers that beat within `ALIVE_FOR_S` and consume it."""
    by_queue: dict[str, list[str]] = {}
    for beat in beats:
        if now - beat.at <= ALIVE_FOR_S:
            for queue in beat.queues:
                by_queue.setdefault(queue, []).append(beat.name)
    return by_queue


def alive(beats: Iterable[WorkerBeat], now: float) -> list[WorkerBeat]:
    """The beats of workers alive now (beat within `ALIVE_FOR_S`)."""
    return [beat for beat in beats if now - beat.at <= ALIVE_FOR_S]


def forgotten(beats: Iterable[WorkerBeat], now: float) -> list[str]:
    """Names of workers silent for so long that their entry can be removed."""
    return [beat.name for beat in beats if now - beat.at > FORGET_AFTER_S]
