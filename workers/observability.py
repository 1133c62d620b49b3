"""Worker-side metrics: a Prometheus endpoint per worker (its jobs, batches, model loads and
webhook attempts; GPU memory on a GPU worker, read at scrape time so nothing polls CUDA in
between).

A pool that forks (prefork) runs jobs in child processes: with PROMETHEUS_MULTIPROC_DIR set
(`fragrance worker --pool prefork` sets it), every process writes its metrics there and the
endpoint serves them all, summed (`prometheus_client` multiprocess mode); a child's files
are marked dead when it exits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.kinds import KINDS
from core.metrics import start_counting

log = logging.getLogger(__name__)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


class GpuMemoryCollector(Collector):
    """Allocated and reserved CUDA memory of this process, per visible device."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        allocated = GaugeMetricFamily("fragrance_gpu_memory_allocated_bytes",
                                      "CUDA memory allocated by this worker", labels=["device"])
        reserved = GaugeMetricFamily("fragrance_gpu_memory_reserved_bytes",
                                     "CUDA memory reserved by this worker", labels=["device"])
        try:
            import torch

            if torch.cuda.is_available():
                for index in range(torch.cuda.device_count()):
                    allocated.add_metric([str(index)], torch.cuda.memory_allocated(index))
                    reserved.add_metric([str(index)], torch.cuda.memory_reserved(index))
        except Exception:  # metrics must never break a scrape
            log.debug("GPU memory unavailable", exc_info=True)
        yield allocated
        yield reserved


def metrics_registry(device: str) -> CollectorRegistry:
    """What the endpoint serves: this process's metrics, or in multiprocess mode those of
    every process of the pool."""
    registry = REGISTRY
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    if device.startswith("cuda"):
        registry.register(GpuMemoryCollector())
    return registry


def serve_metrics(port: int, device: str, host: str = "127.0.0.1") -> None:
    """Expose this worker's metrics on http://host:port/metrics (0.0.0.0: every interface,
    as in a container that Prometheus scrapes over the container network)."""
    start_counting(KINDS)
    start_http_server(port, addr=host, registry=metrics_registry(device))
    log.info("worker metrics on http://%s:%d/metrics", host, port)


def process_exited(pid: int) -> None:
    """A pool child exited: its live gauges no longer count (multiprocess mode only)."""
    if os.environ.get(MULTIPROC_DIR):
        multiprocess.mark_process_dead(pid)
