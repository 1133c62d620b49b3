"""Prometheus metric definitions shared by the API and the workers.

Each process exports what it does itself (the API: submits and HTTP; a worker: the jobs it
ran, its batches, model loads, webhook attempts). What is true of the whole deployment
(queue depths and ages, jobs by status, workers per queue, breakers, readiness) is read at
scrape time by one process, the API (`api.readiness`), never by every worker.

Labels are bounded: kinds, statuses, queues, route templates, batcher and model names;
never job, tenant or request ids. Gauges say how to combine across the processes of a
forking pool (Prometheus multiprocess mode, `workers.observability`).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from core.states import TERMINAL

SECONDS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200)

JOBS_SUBMITTED = Counter("fragrance_jobs_submitted_total", "Jobs accepted by the API",
                         ["kind"])
# counted where a job ends: a worker (the jobs it ran), the API (a cached search answered,
# a batch item refused, a queued job canceled), maintenance; summed across processes
JOBS_FINISHED = Counter("fragrance_jobs_finished_total", "Jobs that reached a final state",
                        ["kind", "status"])
# batch items refused as submitted (not valid: error type invalid_input): failed jobs that
# never ran; the failure-rate alert leaves them out (one tenant's bad rows paged operators)
BATCH_ITEMS_REFUSED = Counter("fragrance_batch_items_refused_total",
                              "Batch items failed at submit as not valid (never run)", ["kind"])
JOB_RUN_SECONDS = Histogram("fragrance_job_run_seconds", "Time a worker spent on one job",
                            ["kind"], buckets=SECONDS)
JOB_QUEUE_SECONDS = Histogram("fragrance_job_queue_seconds",
                              "Time from submit to a worker starting the job", ["kind"],
                              buckets=SECONDS[:-2])
JOBS_IN_FLIGHT = Gauge("fragrance_jobs_in_flight", "Jobs this worker is running now",
                       ["kind"], multiprocess_mode="livesum")

MICRO_BATCH_SIZE = Histogram("fragrance_micro_batch_size",
                             "Items processed together by one micro-batcher call "
                             "(search: queries encoded together; recipe: briefs generated "
                             "together; submit: jobs written in one transaction)",
                             ["batcher"], buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
SEARCH_BATCH_SIZE = MICRO_BATCH_SIZE.labels(batcher="search")
RECIPE_BATCH_SIZE = MICRO_BATCH_SIZE.labels(batcher="recipe")
SUBMIT_BATCH_SIZE = MICRO_BATCH_SIZE.labels(batcher="submit")
# a worker's claims and outcomes, written a group per transaction (core.runner)
CLAIM_BATCH_SIZE = MICRO_BATCH_SIZE.labels(batcher="claim")
FINISH_BATCH_SIZE = MICRO_BATCH_SIZE.labels(batcher="finish")

MODEL_LOAD_SECONDS = Histogram("fragrance_model_load_seconds",
                               "Time to load one model version into a worker", ["model"],
                               buckets=(.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
MODELS_SERVED = Gauge("fragrance_models_served",
                      "Model versions a worker holds warm (the base model included)",
                      ["model"], multiprocess_mode="livesum")

WEBHOOK_ATTEMPTS = Counter("fragrance_webhook_attempts_total",
                           "Webhook sends by outcome: delivered, retry (a failed attempt "
                           "that will be tried again), dead (dead-lettered)", ["outcome"])
WEBHOOK_OUTCOMES = ("delivered", "retry", "dead")
WEBHOOK_ATTEMPT_SECONDS = Histogram("fragrance_webhook_attempt_seconds",
                                    "Duration of one webhook HTTP attempt",
                                    buckets=SECONDS[:-4])
WEBHOOK_DELIVERY_SECONDS = Histogram("fragrance_webhook_delivery_seconds",
                                     "Time from a webhook message entering the outbox to "
                                     "its delivery", buckets=SECONDS)

# beat hides maintenance runs from Flower (workers.beat): this says when one last finished,
# so a dead beat or maintenance worker is seen (it logged nothing while idle)
MAINTENANCE_LAST_RUN = Gauge("fragrance_maintenance_last_run_timestamp_seconds",
                             "When maintenance.recover last finished a run (Unix time)",
                             multiprocess_mode="max")
SEARCH_CACHE_LOOKUPS = Counter("fragrance_search_cache_lookups_total",
                               "Search submits looked up in the result cache, by outcome "
                               "(hit: answered at submit time)", ["outcome"])
HTTP_REQUESTS = Counter("fragrance_http_requests_total", "HTTP requests answered by the API",
                        ["method", "route", "status"])
HTTP_REQUEST_SECONDS = Histogram("fragrance_http_request_duration_seconds",
                                 "Time to answer one HTTP request (streams: until closed)",
                                 ["method", "route"],
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1,
                                          2.5, 5, 10, 30, 60))
HTTP_IN_FLIGHT = Gauge("fragrance_http_requests_in_flight",
                       "HTTP requests the API is answering now", multiprocess_mode="livesum")


def start_counting(kinds: Iterable[str]) -> None:
    """Every labelled series an alert reads the increase of, at zero from this process's
    start: a series first exported at 2 (the first two dead letters) has no increase for
    Prometheus, so the first dead letters and a process's first failures never alerted."""
    for kind in kinds:
        for status in sorted(TERMINAL):
            JOBS_FINISHED.labels(kind, str(status))
        BATCH_ITEMS_REFUSED.labels(kind)
    for outcome in WEBHOOK_OUTCOMES:
        WEBHOOK_ATTEMPTS.labels(outcome)
    for outcome in ("hit", "miss"):
        SEARCH_CACHE_LOOKUPS.labels(outcome)
