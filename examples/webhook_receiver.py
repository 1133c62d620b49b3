"""An example webhook receiver (FastAPI) that verifies each message with `standardwebhooks`.

Run it with the API key's webhook secret (printed by `fragrance keys create`):

    FRAGRANCE_WEBHOOK_SECRET=whsec_... uvicorn examples.webhook_receiver:app --port 9000

and submit jobs with `"webhook": "http://127.0.0.1:9000/hooks/fragrance"` (allow the host
with FRAGRANCE_WEBHOOK_ALLOWED_HOSTS=127.0.0.1 outside production). It answers 204 to
a message signed with the secret (or with FRAGRANCE_WEBHOOK_PREVIOUS_SECRET while a rotation
overlaps), 400 to anything else, and handles each `webhook-id` once: the API retries until it
gets a 2xx, so the same message may come again.

Copy it as a starting point: it needs only fastapi and standardwebhooks.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook, WebhookVerificationError

log = logging.getLogger("webhook_receiver")
REMEMBERED_IDS = 10_000  # ids of handled messages kept to drop redeliveries


def create_receiver(secrets: list[str]) -> FastAPI:
    """A receiver verifying with any of `secrets` (the current one first)."""
    verifiers = [Webhook(secret) for secret in secrets if secret]
    if not verifiers:
        raise ValueError("a webhook secret (whsec_...) is required")
    seen: OrderedDict[str, None] = OrderedDict()
    app = FastAPI(title="Fragrance webhook receiver")
    app.state.received = []  # handled messages, for the example's own use

    @app.post("/hooks/fragrance", status_code=204)
    async def receive(request: Request) -> Response:
        body = await request.body()  # verify the bytes as sent, before parsing them
        message = _verified(verifiers, body, dict(request.headers))
        if message is None:
            return Response(status_code=400)
        message_id = request.headers["webhook-id"]
        if message_id not in seen:
            seen[message_id] = None
            if len(seen) > REMEMBERED_IDS:
                seen.popitem(last=False)
            handle(message)
            app.state.received.append(message)
        return Response(status_code=204)

    return app


def _verified(verifiers: list[Webhook], body: bytes,
              headers: dict[str, str]) -> dict[str, Any] | None:
    for verifier in verifiers:
        try:
            message: dict[str, Any] = verifier.verify(body, headers)
            return message
        except WebhookVerificationError:
            continue
    return None


def handle(message: dict[str, Any]) -> None:
    """What to do with a verified message: here, log it. Do slow work elsewhere (a queue):
    the API waits at most a few seconds for the answer."""
    data = message["data"]
    if message["type"] == "batch.completed":
        log.warning("batch %s completed: %s", data["id"], data["counts"])
    else:
        log.warning("%s: job %s is %s", message["type"], data["id"], data["status"])


def _app_from_environment() -> FastAPI | None:
    secret = os.environ.get("FRAGRANCE_WEBHOOK_SECRET", "")
    if not secret:
        return None  # imported without a secret (e.g. by tests): no module-level app
    return create_receiver([secret, os.environ.get("FRAGRANCE_WEBHOOK_PREVIOUS_SECRET", "")])


app = _app_from_environment()
