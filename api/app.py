"""The FastAPI app factory (a composition root: it reads settings, passes plain values)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry

from api.docs_pages import install_docs
from api.enqueue import CeleryEnqueuer
from api.events import EventHub
from api.openapi import install_openapi, operation_id
from api.problems import BodySizeLimit, install_problem_handlers
from api.rate_limits import SubmitLimiter
from api.readiness import ClusterProbe, JobsCollector, readiness_queues
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
from config.log_redaction import install_redaction
from core.batches import BatchStore
from core.batching import MicroBatcher
from core.database import make_engine, make_session_factory
from core.deliveries import DeliveryStore
from core.dispatch import DispatchPolicy
from core.keys import KeyRing
from core.registry import ModelRegistry
from core.store import JobStore, NewJob
from core.submission import Enqueuer, submit_jobs
from core.views import JobView

SUBMIT_GROUP_MAX = 256


def create_app(settings: Any, enqueuer: Enqueuer | None = None) -> FastAPI:
    """Build the API. `enqueuer` replaces the Celery producer (benchmarks, unit tests)."""
    install_redaction()  # uvicorn has set up its log handlers by now
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    policy = DispatchPolicy(windows=dict(settings.dispatch_windows),
                            caps=dict(settings.max_open_jobs))
    store = JobStore(sessions, float(settings.idempotency_ttl_s), policy)
    limiter = SubmitLimiter(settings.broker_url, float(settings.rate_limit_per_s),
                            int(settings.rate_limit_burst)) \
        if float(settings.rate_limit_per_s) > 0 else None
    producer = CeleryEnqueuer(settings.broker_url, int(settings.visibility_timeout_s))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.events.close()
        if limiter is not None:
            await limiter.close()
        producer.close()
        engine.dispose()

    app = FastAPI(title="Fragrance AI job API", version="1.0",
                  description="Search, recipe-generation and training jobs over REST.",
                  lifespan=lifespan, default_response_class=SafeJSONResponse,
                  docs_url=None, redoc_url=None, generate_unique_id_function=operation_id)
    app.state.store = store
    app.state.events = EventHub(store, broker_url=settings.broker_url)
    app.state.keys = KeyRing(sessions, float(settings.auth_cache_s))
    app.state.batches = BatchStore(sessions, policy, float(settings.idempotency_ttl_s))
    app.state.limiter = limiter
    app.state.batch_max_items = int(settings.batch_max_items)
    app.state.url_policy = url_policy(settings)
    app.state.deliveries = DeliveryStore(sessions, int(settings.webhook_max_attempts),
                                         float(settings.webhook_backoff_base_s))
    app.state.models = ModelRegistry(sessions)
    app.state.training_max_dataset_lines = int(settings.training_max_dataset_lines)
    app.state.secret_overlap_s = float(settings.webhook_secret_overlap_s)
    app.state.enqueuer = enqueuer or producer
    # group commit: submits that arrive while one is being written go in the next
    # transaction and publish together (alone, a submit is written at once)
    app.state.submitter = MicroBatcher[NewJob, JobView](
        lambda jobs: submit_jobs(app.state.store, app.state.enqueuer, jobs),
        max_batch=SUBMIT_GROUP_MAX, max_wait_s=0.0, name="submit-group-commit")
    app.state.probe = ClusterProbe(store, settings.broker_url,
                                   required_queues=readiness_queues(settings.readiness_queues))
    app.state.registry = _registry(store, app.state.probe)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=int(settings.max_body_bytes))
    _allow_origins(app, list(settings.cors_allowed_origins))
    for module in (ops, search, generate, validate, training, models, batches, jobs, events,
                   deliveries, keys):
        app.include_router(module.router)
    install_openapi(app)
    install_docs(app)
    return app


def _allow_origins(app: FastAPI, origins: list[str]) -> None:
    """CORS for browser clients of these origins (none: no CORS headers at all). Bearer
    keys, not cookies: no credentials mode."""
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Prefer",
                           "Last-Event-ID"],
            expose_headers=["Location", "Retry-After", "RateLimit", "RateLimit-Policy",
                            "Idempotent-Replayed", "Preference-Applied"],
            max_age=600)


def _registry(store: JobStore, probe: ClusterProbe) -> CollectorRegistry:
    """This app's scrape-time collectors; process-wide metrics stay in the default REGISTRY."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(JobsCollector(store, probe))
    return registry
