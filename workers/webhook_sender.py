"""Sending one webhook message over HTTP: policy check at send time, connect to the checked
address, no redirects, no cookies, a bounded response read, a per-host concurrency limit,
and a deadline on the whole attempt.

httpx's timeouts bound each network operation, not the request: a receiver that sends a
byte of its status line, headers or body every few seconds never hits one, and kept its
attempt (a sender slot, one of its host's, the message past its lease) for as long as it
liked. Every read and write of an attempt gets at most what is left of `timeout_s` since
the attempt began (`_DeadlineBackend`), and past it fails as a timeout."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION

from core.deliveries import AttemptResult, OutgoingMessage
from core.models import utcnow
from core.url_policy import Target, UrlPolicy, UrlRefused
from core.webhooks import encode_body, signed_headers

log = logging.getLogger(__name__)
BUSY_POSTPONE_MIN_S = 1.0
_attempt = threading.local()  # `deadline`: time.monotonic() by which this thread's attempt ends


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """A network operation's timeout, cut to what is left of the current attempt's time."""
    deadline: float | None = getattr(_attempt, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """The default network backend, each operation bounded by the attempt's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[SOCKET_OPTION] | None = None
                    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address,
            socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[SOCKET_OPTION] | None = None
                            ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not sent to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's transport on a pool whose connections keep to the attempt's deadline (httpx
    takes no network backend: its pool is replaced by one built the way it builds it)."""
    transport = httpx.HTTPTransport(limits=limits)
    default = transport._pool
    if not isinstance(default, httpcore.ConnectionPool):  # an httpx upgrade changed it
        raise RuntimeError("httpx's transport has no connection pool to replace")
    transport._pool = httpcore.ConnectionPool(
        ssl_context=default._ssl_context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry, http1=True, http2=False,
        network_backend=_DeadlineBackend())
    return transport


class _HostGate:
    """A receiver host's share of the senders: at most `limit` attempts at once. A message
    that finds every one taken is postponed (not attempted): by a second while the host's
    attempts in flight are young (a host that answers frees a slot soon), else until the
    oldest of them times out, when a slot is sure to be free. Postponed by a second whatever
    the host did, 500 messages to a silent receiver were rewritten in the outbox 500 times a
    second for as long as it stayed silent; now about twice per timeout."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._started: dict[int, float] = {}  # thread id -> when its attempt began
        self._lock = threading.Lock()

    def acquire(self, timeout: float) -> bool:
        if not self._slots.acquire(timeout=timeout):
            return False
        with self._lock:
            self._started[threading.get_ident()] = time.monotonic()
        return True

    def release(self) -> None:
        with self._lock:
            self._started.pop(threading.get_ident(), None)
        self._slots.release()

    def postpone_s(self, timeout_s: float) -> float:
        """How long a message that found no free slot should wait for one."""
        with self._lock:
            oldest = min(self._started.values(), default=time.monotonic())
        running_s = time.monotonic() - oldest
        if running_s < BUSY_POSTPONE_MIN_S:
            return BUSY_POSTPONE_MIN_S
        return max(BUSY_POSTPONE_MIN_S, timeout_s - running_s)


class WebhookSender:
    def __init__(self, policy: UrlPolicy, *, timeout_s: float, max_response_bytes: int,
                 per_host: int) -> None:
        self._policy, self._limit, self._per_host = policy, max_response_bytes, per_host
        # no cookie is kept: one client sends every tenant's messages, and a cookie one
        # receiver sets must not go out with the next message to that host
        self._timeout_s = timeout_s
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False,
                                    transport=_transport(httpx.Limits(max_connections=200)),
                                    cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])))
        self._hosts: dict[str, _HostGate] = {}
        self._lock = threading.Lock()

    def _gate(self, host: str, port: int) -> _HostGate:
        key = f"{host}:{port}"
        with self._lock:
            return self._hosts.setdefault(key, _HostGate(self._per_host))

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
        """The host's slot is taken before its name is resolved: a name whose lookup hangs
        holds its host's few slots, not as many senders as it has messages."""
        try:
            _, host, port = self._policy.destination(message.url)
        except ValueError as exc:  # UrlRefused, or a port out of range
            return AttemptResult(None, f"refused: {exc}", 0.0, permanent=True)
        gate = self._gate(host, port)
        if not gate.acquire(timeout=0.05):
            return AttemptResult(None, None, 0.0, busy=True,
                                 retry_after_s=gate.postpone_s(self._timeout_s))
        try:
            try:
                target = self._policy.check(message.url)
            except UrlRefused as exc:
                return AttemptResult(None, f"refused: {exc}", 0.0, permanent=True)
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
        _attempt.deadline = time.monotonic() + self._timeout_s
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
        finally:
            _attempt.deadline = None

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
