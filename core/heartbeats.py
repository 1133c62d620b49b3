"""Worker liveness by heartbeat: what readiness trusts instead of a ping.

Each worker process writes `WorkerBeat` into the broker's `HEARTBEATS` hash every
`BEAT_INTERVAL_S` from a thread of its own, so a worker whose pool is busy (a solo or
one-thread training worker in the middle of a run) still shows as alive. A beat older than
`ALIVE_FOR_S` means the worker is gone; readers drop beats older than `FORGET_AFTER_S`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

HEARTBEATS = "fragrance:workers"
BEAT_INTERVAL_S = 5.0
ALIVE_FOR_S = 3 * BEAT_INTERVAL_S + 1
FORGET_AFTER_S = 3600.0


@dataclass(frozen=True)
class WorkerBeat:
    name: str
    queues: tuple[str, ...]
    at: float  # seconds since the epoch
    pid: int = 0
    running: int = 0  # jobs this process is running now

    def encode(self) -> str:
        return json.dumps({"queues": list(self.queues), "at": self.at, "pid": self.pid,
                           "running": self.running})

    @classmethod
    def decode(cls, name: str, raw: str | bytes) -> WorkerBeat | None:
        try:
            data = json.loads(raw)
            return cls(name, tuple(str(q) for q in data["queues"]), float(data["at"]),
                       int(data.get("pid", 0)), int(data.get("running", 0)))
        except (ValueError, KeyError, TypeError):
            return None


def decode_all(raw: Mapping[bytes | str, bytes | str]) -> list[WorkerBeat]:
    beats = []
    for name, value in raw.items():
        beat = WorkerBeat.decode(name.decode() if isinstance(name, bytes) else name, value)
        if beat is not None:
            beats.append(beat)
    return beats


def alive_by_queue(beats: Iterable[WorkerBeat], now: float) -> dict[str, list[str]]:
    """Queue -> names of the workers that beat within `ALIVE_FOR_S` and consume it."""
    by_queue: dict[str, list[str]] = {}
    for beat in beats:
        if now - beat.at <= ALIVE_FOR_S:
            for queue in beat.queues:
                by_queue.setdefault(queue, []).append(beat.name)
    return by_queue


def forgotten(beats: Iterable[WorkerBeat], now: float) -> list[str]:
    """Names of workers silent for so long that their entry can be removed."""
    return [beat.name for beat in beats if now - beat.at > FORGET_AFTER_S]
