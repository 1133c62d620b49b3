"""SQLAlchemy models of the job store: API keys, jobs, job events, webhooks, model versions.

Datetimes are stored as naive UTC (both SQLite and PostgreSQL compare them correctly) and
returned timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    webhook_secret: Mapped[str] = mapped_column(String(100))
    # secrets replaced by rotations that still sign until their own expiry:
    # [{"secret": "whsec_...", "expires_at": iso}, ...], newest first
    retired_webhook_secrets: Mapped[list[dict[str, str]]] = mapped_column(JSONType,
                                                                         default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Batch(Base):
    """A group of jobs submitted together; its counts come from its jobs."""

    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_batches_tenant_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    api_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Integer)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_events: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # `Idempotency-Key` of the submit and the hash of its body (same key, other body: 409)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_tenant_page", "tenant_id", "created_at", "id"),
        Index("ix_jobs_tenant_status_page", "tenant_id", "status", "created_at", "id"),
        Index("ix_jobs_status_updated", "status", "updated_at"),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency"),
        Index("ix_jobs_batch_items", "batch_id", "batch_index"),
        # fair dispatch (core.dispatch): a tenant's jobs waiting in the store for their
        # turn, those in flight (in the broker or running), and those counted against the
        # tenant's cap
        Index("ix_jobs_backlog", "tenant_id", "kind", "created_at",
              sqlite_where=text("status = 'queued' AND dispatched_at IS NULL"),
              postgresql_where=text("status = 'queued' AND dispatched_at IS NULL")),
        # the same for the jobs of no batch, which go first (core.dispatch)
        Index("ix_jobs_backlog_single", "tenant_id", "kind", "created_at",
              sqlite_where=text("status = 'queued' AND dispatched_at IS NULL "
                                "AND batch_id IS NULL"),
              postgresql_where=text("status = 'queued' AND dispatched_at IS NULL "
                                    "AND batch_id IS NULL")),
        Index("ix_jobs_in_flight", "tenant_id", "kind", "dispatched_at",
              sqlite_where=text("status IN ('queued', 'running') AND dispatched_at IS NOT NULL"),
              postgresql_where=text(
                  "status IN ('queued', 'running') AND dispatched_at IS NOT NULL")),
        Index("ix_jobs_open", "tenant_id", "kind",
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    input: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # the worker (Celery hostname) holding the lease: named when its lease is found lost
    claimed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # when its message was handed to the broker (NULL: waiting in the store for its turn)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("batches.id", name="fk_jobs_batch_id"), nullable=True)
    batch_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_events: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    # what its messages tell operators (core.job_labels): the submitting request's id and
    # a short summary of the input
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobEvent(Base):
    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """The outbox: one row per webhook message, written with the state change it reports.

    `id` is the Standard Webhooks `webhook-id`; it stays the same across retries. `stream`
    (a job id, or `batch:<id>`) orders deliveries: one stream is sent in `created_at` order.
    `batch_id` is the batch a message belongs to: the batch's own (`batch.completed`, no
    `job_id`) and its items' (with `job_id`); a batch's own waits for its items' pending ones.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_due", "status", "next_attempt_at"),
        Index("ix_webhook_stream", "stream", "created_at", "id"),
        Index("ix_webhook_batch", "batch_id", "status", "created_at"),
        Index("ix_webhook_tenant_due", "status", "tenant_id", "next_attempt_at", "id"),
        Index("ix_webhook_leased", "lease_until",
              sqlite_where=text("lease_until IS NOT NULL"),
              postgresql_where=text("lease_until IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    stream: Mapped[str] = mapped_column(String(48))
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event_type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelVersion(Base):
    """A trained model in the registry (written only by `core.registry.ModelRegistry`).

    Each version belongs to the tenant whose training job made it, and its state is its
    state in that tenant's registry: at most one version per tenant and target is `active`
    (a partial unique index). `job_id` is unique, so a redelivered training job registers its
    version once.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        Index("ix_model_versions_tenant_target_created", "tenant_id", "target", "created_at"),
        UniqueConstraint("job_id", name="uq_model_versions_job_id"),
        Index("uq_model_versions_one_active", "tenant_id", "target", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", name="fk_model_versions_parent"), nullable=True)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSONType)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    path: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ModelDefault(Base):
    """The deployment-wide default version of a target: what serves a tenant that has no
    active version of its own (no row: the built-in base model). Set by operators only."""

    __tablename__ = "model_defaults"

    target: Mapped[str] = mapped_column(String(20), primary_key=True)
    version_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", name="fk_model_defaults_version"), nullable=True)
    previous_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.id", name="fk_model_defaults_previous"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
