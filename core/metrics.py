"""Prometheus metric definitions shared by the API and the workers."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

JOBS_SUBMITTED = Counter("fragrance_jobs_submitted_total", "Jobs accepted by the API",
                         ["kind"])
JOBS_FINISHED = Counter("fragrance_jobs_finished_total", "Jobs that reached a final state",
                        ["kind", "status"])
JOB_RUN_SECONDS = Histogram("fragrance_job_run_seconds", "Time a worker spent on one job",
                            ["kind"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5,
                                               10, 30, 60, 300, 1800, 7200))
JOB_QUEUE_SECONDS = Histogram("fragrance_job_queue_seconds",
                              "Time from submit to a worker starting the job", ["kind"],
                              buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30,
                                       60, 300))
SEARCH_BATCH_SIZE = Histogram("fragrance_search_batch_size",
                              "Queries encoded together by one worker",
                              buckets=(1, 2, 4, 8, 16, 32, 64, 128))
