"""The FastAPI app factory (a composition root: it reads settings, passes plain values)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis
import redis.asyncio as aioredis
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from api.access_log import AccessLog
from api.briefs import warm_brief_vocabulary
from api.cluster_metrics import ClusterCollector
from api.docs_pages import install_docs
from api.enqueue import CeleryEnqueuer
from api.events import EventHub, HeldAnswers
from api.http_metrics import HttpMetrics
from api.http_middleware import HeadAsGet, QueryParameters, SingleHeaders, UploadsNeedAKey
from api.kinds import check_api_pieces
from api.lanes import TenantLanes
from api.openapi import install_openapi, operation_id
from api.problems import BodySizeLimit, ProblemCors, install_problem_handlers
from api.rate_limits import SubmitLimiter
from api.readiness import ClusterProbe, readiness_queues
from api.request_ids import RequestIds
from api.routes import (
    batches,
    deliveries,
    events,
    generate,
    jobs,
    keys,
    models,
    ops,
    search,
    training,
    validate,
)
from api.strict_json import SafeJSONResponse
from api.webhook_urls import url_policy
from config.log_format import configure_logging
from config.sections import ApiSettings, DispatchTables, WebhookSettings, load_section
from core.batches import BatchStore
from core.batching import MicroBatcher
from core.database import make_engine, make_session_factory
from core.deliveries import DeliveryStore
from core.dispatch import DispatchPolicy, DispatchQueue
from core.heap import settle_heap
from core.keys import KeyRing
from core.kinds import DECLARED, KINDS, JobKind, check_settings
from core.metrics import SUBMIT_BATCH_SIZE, start_counting
from core.registry import ModelRegistry, ServingIds
from core.search_cache import search_cache_reader
from core.store import JobStore, NewJob
from core.submission import Enqueuer, submit_jobs
from core.views import JobView
from core.wakeups import Wakeup
from core.webhooks import WEBHOOKS_CHANNEL, notify_after_outbox_commit

SUBMIT_GROUP_MAX = 256
# the routes whose bodies may take `max_upload_body_bytes`
# each upload's path and the scope its route requires (UploadsNeedAKey checks it before
# the body is read)
UPLOAD_PATHS = {"/api/v1/generate/batch": KINDS[JobKind.RECIPE].scope,
                "/api/v1/training": KINDS[JobKind.TRAINING].scope}


def create_app(settings: Any, enqueuer: Enqueuer | None = None) -> FastAPI:
    """Build the API. `enqueuer` replaces the Celery producer (benchmarks, unit tests).
    KindError when a declared job kind lacks its settings, its route or its result type."""
    check_settings(settings)
    api, webhooks = ApiSettings.load(settings), WebhookSettings.load(settings)
    # uvicorn has set up its log handlers by now: format them, mask secrets in them
    configure_logging(api.log_format, api.log_level, label="api")
    engine = make_engine(api.database_url)
    sessions = make_session_factory(engine)
    wakeups = _wake_webhook_senders(sessions, api.broker_url)
    tables = load_section(DispatchTables, settings)
    policy = DispatchPolicy.declared(tables.dispatch_windows, tables.max_open_jobs,
                                     tables.lone_dispatch_windows)
    store = JobStore(sessions, api.idempotency_ttl_s, policy)
    limiter = SubmitLimiter(api.broker_url, api.rate_limit_per_s, api.rate_limit_burst) \
        if api.rate_limit_per_s > 0 else None
    producer = CeleryEnqueuer(api.broker_url, api.visibility_timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # a thread doing a tenant's CPU work (a validation) hands the interpreter back to
        # the event loop this often: the other tenants' requests wait that long, not 5 ms
        sys.setswitchinterval(api.api_switch_interval_s)
        warm_brief_vocabulary()  # a brief's mood is read with it: built before the first
        start_counting(KINDS)
        settle_heap()
        yield
        await app.state.events.close()
        await app.state.held.close()
        if limiter is not None:
            await limiter.close()
        if app.state.search_cache is not None:
            await app.state.search_cache.close()
        producer.close()
        wakeups.close()
        engine.dispose()

    app = FastAPI(title="Fragrance AI job API", version="1.0",
                  description="Search, recipe-generation and training jobs over REST.",
                  lifespan=lifespan, default_response_class=SafeJSONResponse,
                  docs_url=None, redoc_url=None, generate_unique_id_function=operation_id)
    # "/jobs/" is no route: a 404, not a redirect built from the request's Host header
    # (which pointed clients at any host they were sent with, before the key's check)
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.events = EventHub(store, broker_url=api.broker_url)
    app.state.validations = TenantLanes("formula validations")
    # held before a body is read: a waiting upload holds a connection, not its body
    app.state.uploads = TenantLanes("uploads", running=2, waiting=32)
    app.state.keys = KeyRing(sessions, api.auth_cache_s)
    # an open event stream's key is checked as often as a request's may be cached
    app.state.held = HeldAnswers(api.max_streams_per_tenant, app.state.keys.inactive,
                                 check_every_s=max(api.auth_cache_s, 1.0))
    app.state.batches = BatchStore(sessions, policy, api.idempotency_ttl_s)
    app.state.limiter = limiter
    app.state.batch_max_items = api.batch_max_items
    app.state.url_policy = url_policy(webhooks)
    app.state.deliveries = DeliveryStore(sessions, webhooks.max_attempts,
                                         webhooks.backoff_base_s)
    app.state.models = ModelRegistry(sessions)
    app.state.search_cache = search_cache_reader(
        aioredis.Redis.from_url(api.broker_url, socket_timeout=1, socket_connect_timeout=1),
        api.search_cache_ttl_s)
    # a Qdrant server's workers serve the configured model only (workers.search_runtime)
    app.state.serving_version = ServingIds(
        (lambda _: None) if api.qdrant_url
        else lambda tenant_id: app.state.models.serving_id("embedding", tenant_id),
        api.model_poll_interval_s, name="embedding", max_tenants=10_000)
    app.state.training_max_dataset_lines = api.training_max_dataset_lines
    app.state.secret_overlap_s = api.webhook_secret_overlap_s
    app.state.enqueuer = enqueuer or producer
    # group commit: submits that arrive while one is being written go in the next
    # transaction and publish together (alone, a submit is written at once); a group is
    # filled round-robin by tenant, so one tenant's burst never pushes another tenant's
    # submit beyond the next group
    app.state.submitter = MicroBatcher[NewJob, JobView](
        lambda jobs: submit_jobs(app.state.store, app.state.enqueuer, jobs),
        max_batch=SUBMIT_GROUP_MAX, max_wait_s=0.0, on_batch=SUBMIT_BATCH_SIZE.observe,
        fair_key=lambda job: job.tenant_id, name="submit-group-commit")
    app.state.probe = ClusterProbe(store, api.broker_url,
                                   required_queues=readiness_queues(settings.readiness_queues))
    app.state.registry = _registry(ClusterCollector(store, app.state.probe,
                                                    DispatchQueue(sessions, policy),
                                                    app.state.deliveries))
    install_problem_handlers(app)
    app.add_middleware(HeadAsGet)  # innermost: the routes see a GET, the rest the HEAD
    app.add_middleware(BodySizeLimit, max_bytes=api.max_body_bytes,
                       max_upload_bytes=api.max_upload_body_bytes, uploads=frozenset(UPLOAD_PATHS),
                       max_buffered_bytes=api.max_buffered_body_bytes)
    app.add_middleware(UploadsNeedAKey, uploads=UPLOAD_PATHS, keys=app.state.keys,
                       lanes=app.state.uploads)
    app.add_middleware(QueryParameters)
    app.add_middleware(SingleHeaders)
    # inside the request id and the metrics: a preflight carries an id and is counted
    _allow_origins(app, list(api.cors_allowed_origins))
    app.add_middleware(HttpMetrics)
    app.add_middleware(RequestIds)
    app.add_middleware(AccessLog)  # outermost: every answer, preflights and 500s too
    for module in (ops, search, generate, validate, training, models, batches, jobs, events,
                   deliveries, keys):
        app.include_router(module.router)
    check_api_pieces(app, DECLARED)
    install_openapi(app)
    install_docs(app)
    return app


def _allow_origins(app: FastAPI, origins: list[str]) -> None:
    """CORS for browser clients of these origins (none: no CORS headers at all). Bearer
    keys, not cookies: no credentials mode."""
    if origins:
        app.add_middleware(
            ProblemCors, allow_origins=origins, allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Prefer",
                           "Last-Event-ID", "X-Request-ID"],
            expose_headers=["Location", "Retry-After", "RateLimit", "RateLimit-Policy",
                            "Idempotent-Replayed", "Preference-Applied", "X-Request-ID"],
            max_age=600)


def _wake_webhook_senders(sessions: sessionmaker[Session], broker_url: str) -> redis.Redis:
    """A cancel or a redelivery puts work in the webhook outbox: wake the senders after the
    commit. Returns the Redis client that publishes the wake-ups (closed with the app)."""
    client = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
    notify_after_outbox_commit(sessions, Wakeup(
        lambda: client.publish(WEBHOOKS_CHANNEL, ""), "webhooks-wakeup").notify)
    return client


def _registry(collector: ClusterCollector) -> CollectorRegistry:
    """This app's scrape-time collectors; process-wide metrics stay in the default REGISTRY."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(collector)
    return registry
