"""Baseline apps for the submit suite, served by uvicorn with `--factory`:

- `bench.apps:bare`: a bare FastAPI POST endpoint (validate a small body, answer 202).
- `bench.apps:send_task`: the same endpoint that only publishes a Celery task by name to a
  queue nobody consumes (`FRAGRANCE_BROKER_URL`), the raw cost of `apply_async`.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from celery import Celery
from fastapi import FastAPI
from pydantic import BaseModel, Field

UNCONSUMED_QUEUE = "bench-unconsumed"


class SubmitIn(BaseModel):
    query: str = Field(min_length=1, max_length=500)
    top_k: int = Field(default=10, ge=1, le=100)


def bare() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/submit", status_code=202)
    async def submit(body: SubmitIn) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "status": "queued", "input": body.model_dump()}

    return app


def send_task() -> FastAPI:
    celery = Celery("bench-send-task", broker=os.environ["FRAGRANCE_BROKER_URL"])
    celery.conf.update(task_serializer="json", broker_connection_retry_on_startup=True)
    app = bare()
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/submit"]

    @app.post("/submit", status_code=202)
    def submit(body: SubmitIn) -> dict[str, Any]:  # a thread, as send_task blocks
        job_id = str(uuid.uuid4())
        celery.send_task("search.run", args=[job_id], queue=UNCONSUMED_QUEUE)
        return {"id": job_id, "status": "queued", "input": body.model_dump()}

    return app
