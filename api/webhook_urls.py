"""Refusing unsafe webhook URLs at submit time (they are checked again at send time)."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError

from core.url_policy import UrlPolicy, UrlRefused


def url_policy(settings: Any) -> UrlPolicy:
    return UrlPolicy.build(bool(settings.webhook_allow_http),
                           list(settings.webhook_allowed_hosts),
                           list(settings.webhook_allowed_networks))


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
