"""Refusing unsafe webhook URLs at submit time (they are checked again at send time)."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError

from config.sections import WebhookSettings
from core.url_policy import UrlPolicy, UrlRefused


def url_policy(webhooks: WebhookSettings) -> UrlPolicy:
    return UrlPolicy.build(webhooks.allow_http, list(webhooks.allowed_hosts),
                           list(webhooks.allowed_networks))


def checked_webhook(policy: UrlPolicy, url: object | None) -> str | None:
    """The URL as a string, or a 422 naming the `webhook` field and the reason."""
    if url is None:
        return None
    try:
        policy.check(str(url))
    except UrlRefused as exc:
        raise RequestValidationError([{"loc": ("body", "webhook"), "msg": str(exc),
                                       "type": "url_refused"}]) from None
    return str(url)
