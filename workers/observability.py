"""Worker-side metrics: a Prometheus endpoint per worker process (optional) and GPU memory,
read at scrape time so nothing polls CUDA in between."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import REGISTRY, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


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


def serve_metrics(port: int, device: str) -> None:
    """Expose this worker's metrics (job timings, batch sizes, GPU memory) on `port`."""
    if device.startswith("cuda"):
        REGISTRY.register(GpuMemoryCollector())
    start_http_server(port, addr="127.0.0.1")
    log.info("worker metrics on http://127.0.0.1:%d/metrics", port)
