"""Suite results: rows of (figure, baseline from the same run, ratio, target, met), printed as
a table and written to `var/bench/<suite>.json`."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import ROOT

OUT_DIR = ROOT / "var" / "bench"


@dataclass
class Row:
    """One measured figure. `ratio` is value / baseline; `target` is the issue's wording and
    `met` whether this run meets it (None when the row is informational)."""

    metric: str
    value: float
    unit: str
    baseline_metric: str = ""
    baseline: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / float(self.baseline)  # type: ignore[arg-type]


@dataclass
class SuiteResult:
    suite: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "machine": {"cpus": _cpus(), "python": platform.python_version()},
                "rows": [{**asdict(row), "ratio": row.ratio} for row in self.rows],
                "notes": self.notes, "details": self.details}


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 \
        else f"{value:.1f}"
    return f"{text} {unit}".strip()


def render(result: SuiteResult) -> str:
    header = ("metric", "measured", "baseline (same run)", "ratio", "target", "met")
    lines = [(row.metric, _fmt(row.value, row.unit),
              f"{_fmt(row.baseline, row.unit)} ({row.baseline_metric})"
              if row.baseline is not None else "-",
              f"{row.ratio:.2f}x" if row.ratio is not None else "-", row.target or "-",
              {True: "yes", False: "NO", None: "-"}[row.met]) for row in result.rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    out = [f"== bench {result.suite} ==", fmt(header), fmt(tuple("-" * w for w in widths))]
    out += [fmt(line) for line in lines]
    out += [f"  note: {note}" for note in result.notes]
    return "\n".join(out)


def write(result: SuiteResult) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{result.suite}.json"
    path.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return path
