"""Verifying a webhook the API sent (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
`webhook-signature`, HMAC-SHA256 with the API key's `whsec_` secret)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook, WebhookVerificationError

from client.schema import WebhookMessage

__all__ = ["WebhookVerificationError", "verify_webhook"]


def verify_webhook(secrets: str | Sequence[str], body: bytes | str,
                   headers: Mapping[str, str]) -> WebhookMessage:
    """The message if one of `secrets` signed it (pass the old secret too while a rotation
    overlaps) and its timestamp is within five minutes; raises WebhookVerificationError.
    Verify the body exactly as received, before parsing it."""
    plain = {name.lower(): value for name, value in headers.items()}
    last_error = WebhookVerificationError("no secret given")
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        try:
            Webhook(secret).verify(body, plain, json_parse=False)
        except WebhookVerificationError as error:
            last_error = error
            continue
        payload = json.loads(body)
        return WebhookMessage(id=plain["webhook-id"], type=payload["type"],
                              timestamp=payload["timestamp"], data=payload["data"])
    raise last_error
