"""A worker's metrics endpoint: in a forking pool (prefork), the jobs its child processes ran
are served by the parent's endpoint (Prometheus multiprocess mode); a child that exits no
longer counts in the live gauges."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = textwrap.dedent('''
    import multiprocessing, os, sys
    from prometheus_client import generate_latest

    def child(kind):
        from core.metrics import JOB_RUN_SECONDS, JOBS_FINISHED, JOBS_IN_FLIGHT
        JOBS_FINISHED.labels(kind, "succeeded").inc()
        JOB_RUN_SECONDS.labels(kind).observe(0.5)
        JOBS_IN_FLIGHT.labels(kind).inc()

    if __name__ == "__main__":
        from workers.observability import metrics_registry, process_exited
        multiprocessing.set_start_method("fork")
        children = [multiprocessing.Process(target=child, args=(kind,))
                    for kind in ("search", "search", "recipe")]
        for process in children:
            process.start()
        for process in children:
            process.join()
        before = generate_latest(metrics_registry("cpu")).decode()
        for process in children:
            process_exited(process.pid)
        after = generate_latest(metrics_registry("cpu")).decode()
        sys.stdout.write(before + "\\n=====\\n" + after)
''')


def test_a_forking_pools_children_are_served_summed_by_one_endpoint(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.split("\n=====\n")
    assert 'fragrance_jobs_finished_total{kind="search",status="succeeded"} 2.0' in before
    assert 'fragrance_jobs_finished_total{kind="recipe",status="succeeded"} 1.0' in before
    assert 'fragrance_job_run_seconds_count{kind="search"} 2.0' in before
    assert 'fragrance_jobs_in_flight{kind="search"} 2.0' in before
    assert 'fragrance_jobs_finished_total{kind="search",status="succeeded"} 2.0' in after
    assert 'fragrance_jobs_in_flight{kind="search"}' not in after  # live gauges: gone
