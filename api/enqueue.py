"""Publishing jobs by task name: the API never imports the tasks or the models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from celery import Celery

from core.dispatch import Dispatched, messages_for, publish_messages
from core.job_labels import JobLabels


class CeleryEnqueuer:
    """Sends the jobs' messages (`core.dispatch.messages_for`) to their kind's queue."""

    def __init__(self, broker_url: str, visibility_timeout_s: int) -> None:
        self.celery = Celery("fragrance-api", broker=broker_url)
        self.celery.conf.update(
            broker_transport_options={"visibility_timeout": visibility_timeout_s},
            broker_connection_retry_on_startup=True,
            task_serializer="json",
        )

    def enqueue_many(self, kind: str, job_ids: Sequence[str],
                     labels: Mapping[str, JobLabels] | None = None) -> None:
        """Publish over one connection, a tenant's jobs in groups
        (`core.dispatch.messages_for`); raises on a broker outage."""
        known = labels or {}
        publish_messages(self.celery, messages_for(
            [Dispatched(job_id, kind, known.get(job_id, JobLabels())) for job_id in job_ids]))

    def close(self) -> None:
        self.celery.close()
