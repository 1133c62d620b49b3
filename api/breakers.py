"""The circuit breakers of the running workers, as their heartbeats last reported them
(`core.heartbeats.BreakerReport`): what `GET /api/v1/ops/breakers` lists and `/metrics`
exports. Only live workers count; `retry_in_s` is counted down from the report's time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.heartbeats import BreakerReport, WorkerBeat


@dataclass(frozen=True)
class WorkerBreaker:
    worker: str
    report: BreakerReport
    reported_at: float  # seconds since the epoch

    def retry_in_s(self, now: float) -> float:
        """Seconds until an open breaker lets a trial call through (0: now)."""
        if self.report.state != "open":
            return 0.0
        return max(self.report.retry_in_s - max(now - self.reported_at, 0.0), 0.0)

    def to_dict(self, now: float) -> dict[str, object]:
        return {"name": self.report.name, "worker": self.worker, "state": self.report.state,
                "failures": self.report.failures, "fail_max": self.report.fail_max,
                "reset_timeout_s": self.report.reset_timeout_s,
                "retry_in_s": round(self.retry_in_s(now), 3),
                "reported_at": datetime.fromtimestamp(self.reported_at, UTC).isoformat()
                .replace("+00:00", "Z")}


def worker_breakers(beats: Iterable[WorkerBeat]) -> list[WorkerBreaker]:
    """Every breaker of every beat, by breaker name, then worker."""
    found = [WorkerBreaker(beat.name, report, beat.at)
             for beat in beats for report in beat.breakers]
    return sorted(found, key=lambda b: (b.report.name, b.worker))
