"""Publishing jobs by task name: the API never imports the tasks or the models."""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from core.states import QUEUE_FOR_KIND, TASK_FOR_KIND, JobKind


class CeleryEnqueuer:
    """Sends `TASK_FOR_KIND[kind]` with the job id to the kind's queue."""

    def __init__(self, broker_url: str, visibility_timeout_s: int) -> None:
        self.celery = Celery("fragrance-api", broker=broker_url)
        self.celery.conf.update(
            broker_transport_options={"visibility_timeout": visibility_timeout_s},
            broker_connection_retry_on_startup=True,
            task_serializer="json",
        )

    def enqueue(self, kind: str, job_id: str) -> None:
        job_kind = JobKind(kind)
        self.celery.send_task(TASK_FOR_KIND[job_kind], args=[job_id],
                              queue=QUEUE_FOR_KIND[job_kind], retry=True,
                              retry_policy={"max_retries": 2, "interval_start": 0.1,
                                            "interval_step": 0.2})

    def enqueue_many(self, kind: str, job_ids: Sequence[str]) -> None:
        job_kind = JobKind(kind)
        with self.celery.producer_or_acquire() as producer:
            for job_id in job_ids:
                self.celery.send_task(TASK_FOR_KIND[job_kind], args=[job_id],
                                      queue=QUEUE_FOR_KIND[job_kind], producer=producer)

    def close(self) -> None:
        self.celery.close()
