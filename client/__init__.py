"""A typed Python client of the Fragrance AI job API, sync and async.

    from client import FragranceClient

    with FragranceClient("http://127.0.0.1:8000", api_key) as api:
        job = api.submit_search("woody amber for winter nights", wait_s=10)
        batch = api.submit_batch([{"fragrance_family": "floral"}] * 3)
        for counts in api.batch_events(batch["id"]):
            print(counts["counts"])
        for line in api.batch_results(batch["id"]):
            print(line["index"], line["status"])

It imports nothing of the server: it ships to applications on its own (httpx and
standardwebhooks).
"""

from __future__ import annotations

from client.aio import AsyncFragranceClient
from client.errors import ApiError, ClientError, NotJson, Unreachable, WaitTimedOut
from client.schema import TERMINAL, Batch, BatchResult, Job, JobEvent, WebhookMessage
from client.sse import Event
from client.sync import FragranceClient
from client.webhooks import WebhookVerificationError, verify_webhook

__all__ = ["TERMINAL", "ApiError", "AsyncFragranceClient", "Batch", "BatchResult",
           "ClientError", "Event", "FragranceClient", "Job", "JobEvent", "NotJson",
           "Unreachable", "WaitTimedOut", "WebhookMessage", "WebhookVerificationError",
           "verify_webhook"]
