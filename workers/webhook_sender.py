"""Sending one webhook message over HTTP: policy check at send time, connect to the checked
address, no redirects, no cookies, a bounded response read, a per-host concurrency limit."""

from __future__ import annotations

import logging
import threading
import time
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from core.deliveries import AttemptResult, OutgoingMessage
from core.models import utcnow
from core.url_policy import Target, UrlPolicy, UrlRefused
from core.webhooks import encode_body, signed_headers

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(self, policy: UrlPolicy, *, timeout_s: float, max_response_bytes: int,
                 per_host: int) -> None:
        self._policy, self._limit, self._per_host = policy, max_response_bytes, per_host
        # no cookie is kept: one client sends every tenant's messages, and a cookie one
        # receiver sets must not go out with the next message to that host
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False,
                                    limits=httpx.Limits(max_connections=200),
                                    cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])))
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _gate(self, target: Target) -> threading.BoundedSemaphore:
        key = f"{target.host}:{target.port}"
        with self._lock:
            return self._hosts.setdefault(key, threading.BoundedSemaphore(self._per_host))

    def send(self, message: OutgoingMessage) -> AttemptResult:
        """One attempt. Never raises: a message that cannot be sent at all (its body is not
        text, its URL is refused) is a permanent failure, dead-lettered with its reason,
        and an unexpected error is a retryable one; other messages keep flowing."""
        try:
            body = encode_body(message.payload)
            body.encode("utf-8")
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            return AttemptResult(None, f"message cannot be encoded: {type(exc).__name__}",
                                 0.0, permanent=True)
        try:
            return self._send_checked(message, body)
        except Exception as exc:
            log.exception("sending webhook %s failed unexpectedly", message.id)
            return AttemptResult(None, f"sender error: {type(exc).__name__}", 0.0)

    def _send_checked(self, message: OutgoingMessage, body: str) -> AttemptResult:
        try:
            target = self._policy.check(message.url)
        except UrlRefused as exc:
            return AttemptResult(None, f"refused: {exc}", 0.0, permanent=True)
        gate = self._gate(target)
        if not gate.acquire(timeout=0.05):
            return AttemptResult(None, None, 0.0, busy=True)
        try:
            return self._post(target, message, body)
        finally:
            gate.release()

    def _post(self, target: Target, message: OutgoingMessage, body: str) -> AttemptResult:
        headers = signed_headers(message.id, body, message.secrets, utcnow())
        default_port = 443 if target.scheme == "https" else 80
        headers["host"] = target.host if target.port == default_port else \
            f"{target.host}:{target.port}"
        address = f"[{target.address}]" if ":" in target.address else target.address
        url = httpx.URL(target.url).copy_with(host=address.strip("[]"), port=target.port)
        started = time.perf_counter()
        try:
            with self._client.stream("POST", url, content=body.encode(), headers=headers,
                                     extensions={"sni_hostname": target.host}) as response:
                self._drain(response)
                elapsed = (time.perf_counter() - started) * 1000
                error = "redirect not followed" if response.is_redirect else None
                return AttemptResult(response.status_code, error, elapsed,
                                     _retry_after(response.headers.get("retry-after")))
        except httpx.TimeoutException:
            return AttemptResult(None, "timeout", (time.perf_counter() - started) * 1000)
        except httpx.HTTPError as exc:
            return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:500],
                                 (time.perf_counter() - started) * 1000)

    def _drain(self, response: httpx.Response) -> None:
        seen = 0
        for chunk in response.iter_raw():
            seen += len(chunk)
            if seen >= self._limit:  # never read a large body
                break

    def close(self) -> None:
        self._client.close()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
