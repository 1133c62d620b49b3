"""The Grafana dashboards' queries (deploy/grafana/dashboards/) and the metric names they
read, against what a live scrape of the stack holds."""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.tools import ROOT

DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
# exported by a GPU worker only (`workers.observability.GpuMemoryCollector`)
GPU_ONLY = frozenset({"fragrance_gpu_memory_allocated_bytes",
                      "fragrance_gpu_memory_reserved_bytes"})
_METRIC = re.compile(r"\b((?:fragrance|flower)_[a-zA-Z0-9_]+)\b")


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel of every dashboard."""
    queries = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in _panels(json.loads(path.read_text())):
            queries += [(panel["title"], target["expr"]) for target in panel.get("targets", [])]
    return queries


def _panels(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in node.get("panels", []):
        found.append(panel)
        found += _panels(panel)  # a collapsed row holds its panels
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names a query reads (ours and Flower's; label values never match)."""
    without_labels = re.sub(r"\{[^}]*\}", "", expr)
    return set(_METRIC.findall(without_labels))


def scraped_names(exposition: str) -> set[str]:
    """Names of the samples in a Prometheus text exposition (a histogram's `_bucket`,
    `_sum`, `_count`; a counter's `_total`): families without samples do not count."""
    return {sample.name for family in text_string_to_metric_families(exposition)
            for sample in family.samples}


@dataclass(frozen=True)
class Series:
    legend: str
    points: list[tuple[float, float]]  # (unix time, value)


def panel_series(prometheus: str, minutes: int = 5) -> list[tuple[str, str, list[Series]]]:
    """(title, unit, series) of every timeseries panel, each target queried over the last
    `minutes` from `prometheus` (`query_range`, one point every 2 s)."""
    import httpx

    end = time.time()
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in _panels(json.loads(path.read_text())):
            if panel.get("type") != "timeseries":
                continue
            series = []
            for target in panel["targets"]:
                answer = httpx.get(f"{prometheus}/api/v1/query_range", timeout=30, params={
                    "query": target["expr"], "start": end - minutes * 60, "end": end,
                    "step": 2}).json()
                for result in answer["data"]["result"]:
                    series.append(Series(_legend(target.get("legendFormat", ""),
                                                 result["metric"]),
                                         [(float(t), float(v)) for t, v in result["values"]
                                          if v not in ("NaN", "+Inf", "-Inf")]))
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
            found.append((panel["title"], unit, series))
    return found


def _legend(template: str, labels: dict[str, str]) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)
    return text or json.dumps(labels)


COLORS = ("#7eb26d", "#eab839", "#6ed0e0", "#ef843c", "#e24d42", "#1f78c1", "#ba43a9",
          "#705da0")


def render_dashboard(panels: list[tuple[str, str, list[Series]]], note: str) -> str:
    """An HTML page of the panels as line charts (inline SVG), three a row."""
    cards = "".join(_card(title, unit, series) for title, unit, series in panels)
    return ("<html><head><meta charset='utf-8'><style>"
            "body{font:13px sans-serif;background:#111217;color:#ccccdc;margin:16px}"
            ".grid{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}"
            ".card{background:#181b1f;border:1px solid #2c3235;padding:8px}"
            ".card h3{margin:0 0 6px;font-size:13px}.legend{font-size:11px}"
            f"</style></head><body><h2>{html.escape(note)}</h2>"
            f"<div class='grid'>{cards}</div></body></html>")


def _card(title: str, unit: str, series: list[Series]) -> str:
    width, height = 460, 150
    points = [p for s in series for p in s.points]
    if not points:
        body = "<p>no data</p>"
    else:
        t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
        highest = max(v for _, v in points)
        top = highest if highest > 0 else 1.0  # all zero: a flat line at the bottom
        lines = []
        for index, one in enumerate(series[:8]):
            coords = " ".join(f"{(t - t0) / max(t1 - t0, 1) * width:.1f},"
                              f"{height - v / top * (height - 10):.1f}" for t, v in one.points)
            lines.append(f"<polyline fill='none' stroke='{COLORS[index % len(COLORS)]}' "
                         f"stroke-width='1.5' points='{coords}'/>")
        legend = "<br>".join(f"<span style='color:{COLORS[i % len(COLORS)]}'>&#9632;</span> "
                             f"{html.escape(s.legend)} = {s.points[-1][1]:.4g}"
                             for i, s in enumerate(series[:8]) if s.points)
        body = (f"<svg width='{width}' height='{height}' style='background:#0b0c0e'>"
                f"{''.join(lines)}</svg><div class='legend'>max {highest:.4g} {unit}<br>"
                f"{legend}</div>")
    return f"<div class='card'><h3>{html.escape(title)}</h3>{body}</div>"
