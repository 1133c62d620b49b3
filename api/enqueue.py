"""Publishing jobs by task name: the API never imports the tasks or the models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from celery import Celery

from core.dispatch import message_for
from core.job_labels import JobLabels


class CeleryEnqueuer:
    """Sends each job's message (`core.dispatch.message_for`) to its kind's queue."""

    def __init__(self, broker_url: str, visibility_timeout_s: int) -> None:
        self.celery = Celery("fragrance-api", broker=broker_url)
        self.celery.conf.update(
            broker_transport_options={"visibility_timeout": visibility_timeout_s},
            broker_connection_retry_on_startup=True,
            task_serializer="json",
        )

    def enqueue_many(self, kind: str, job_ids: Sequence[str],
                     labels: Mapping[str, JobLabels] | None = None) -> None:
        """Publish over one connection; raises on a broker outage."""
        with self.celery.producer_or_acquire() as producer:
            for job_id in job_ids:
                message = message_for(kind, job_id, (labels or {}).get(job_id))
                self.celery.send_task(message.task, args=[job_id], queue=message.queue,
                                      task_id=message.task_id, producer=producer,
                                      headers=dict(message.headers),
                                      argsrepr=message.argsrepr,
                                      kwargsrepr=message.kwargsrepr)

    def close(self) -> None:
        self.celery.close()
