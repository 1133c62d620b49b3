"""Sending one webhook message over HTTP: policy check at send time, connect to the checked
address, no redirects, no cookies, a bounded response read, a per-host concurrency limit,
and a deadline on the whole attempt.

The client is urllib3: a pool of kept-alive connections per checked address (and, for
https, per name the certificate must carry), no proxy from the environment, no cookie jar.
It took httpx's place: one attempt to a local receiver cost 435 µs of CPU with httpx, 312
µs with urllib3 (the client itself 164 µs against httpx's 293), and a webhooks worker, whose
32 sender threads share one interpreter, spent most of its time in the client (see
docs/worker-path.md).

A client's timeouts bound each socket operation, not the request: a receiver that sends a
byte of its status line, headers or body every few seconds never hits one, and kept its
attempt (a sender slot, one of its host's, the message past its lease) for as long as it
liked. Each attempt has a deadline, `timeout_s` after it began (`_Deadlines`): past it, the
attempt's connection is shut down, which ends the read or write it is blocked in, TLS
handshake included, and the attempt fails as a timeout."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from core.deliveries import AttemptResult, OutgoingMessage
from core.models import utcnow
from core.url_policy import Target, UrlPolicy, UrlRefused
from core.webhooks import encode_body, signed_headers

log = logging.getLogger(__name__)
# urllib3 warns of each certificate that does not match, with the certificate, once per
# attempt: receivers are tenants' choice, and the outcome is the attempt's error, which
# `workers.webhook_pump.ReceiverLog` tells once per failing host
logging.getLogger("urllib3.connection").setLevel(logging.ERROR)
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
BUSY_POSTPONE_MIN_S = 1.0
MAX_POOLS = 200  # receivers' addresses with connections kept (least recently used go)
_current = threading.local()  # `attempt`: the _Attempt this thread is making


class _Attempt:
    """One attempt's deadline and the connection it is using: `expire` (the deadline
    passed) shuts the connection down unless the attempt has finished."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._finished = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def use(self, handle: socket.socket) -> None:
        with self._lock:
            self._socket = handle
            expired = self.expired
        if expired:
            _shut(handle)

    def expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            handle = self._socket
        if handle is not None:
            _shut(handle)

    def finish(self) -> None:
        with self._lock:
            self._finished, self._socket = True, None


def _shut(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed meanwhile: nothing left to end
        handle.shutdown(socket.SHUT_RDWR)


class _Deadlines:
    """One thread that expires attempts at their deadlines (finished ones are passed over
    when their time comes: at most `timeout_s` of them are remembered)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Attempt]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        threading.Thread(target=self._run, name="webhook-deadlines", daemon=True).start()

    def watch(self, attempt: _Attempt) -> None:
        with self._changed:
            heapq.heappush(self._due, (attempt.deadline, next(self._order), attempt))
            if self._due[0][2] is attempt:
                self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._due
                                             or self._due[0][0] > time.monotonic()):
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due
                                       else None)
                if self._stopped:
                    return
                _, _, attempt = heapq.heappop(self._due)
            attempt.expire()


class _Watched:
    """A connection whose socket the current thread's attempt can shut down: a duplicate
    of it, so that shutting it down also ends a TLS socket built on it (the TLS socket
    takes over the original)."""

    _handle: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._close_handle()
        self._handle = sock.dup()
        self._watch()
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._watch()  # a kept-alive connection: this attempt's now
        super().request(*args, **kwargs)  # type: ignore[misc]

    def close(self) -> None:
        super().close()  # type: ignore[misc]
        self._close_handle()

    def _watch(self) -> None:
        attempt: _Attempt | None = getattr(_current, "attempt", None)
        if attempt is not None and self._handle is not None:
            attempt.use(self._handle)

    def _close_handle(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _TlsPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


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
                 per_host: int, ca_certs: str | None = None) -> None:
        """`ca_certs`: the certificate authorities receivers' certificates must chain to
        (a PEM file; certifi's bundle by default)."""
        self._policy, self._limit, self._per_host = policy, max_response_bytes, per_host
        self._timeout_s = timeout_s
        # one client sends every tenant's messages: it keeps no cookies (urllib3 has no
        # jar) and reads no proxy from the environment (a PoolManager, not a ProxyManager)
        self._pools = urllib3.PoolManager(
            num_pools=MAX_POOLS, maxsize=per_host, block=False, retries=False,
            cert_reqs="CERT_REQUIRED", ca_certs=ca_certs or certifi.where())
        self._pools.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}
        self._deadlines = _Deadlines()
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

    def _pool(self, target: Target) -> urllib3.HTTPConnectionPool:
        """The pool of connections to the checked address; over https each connection
        presents `host` (SNI) and requires a certificate for it."""
        tls = {"server_hostname": target.host, "assert_hostname": target.host} \
            if target.scheme == "https" else None
        return self._pools.connection_from_host(target.address, target.port, target.scheme,
                                                pool_kwargs=tls)

    def _post(self, target: Target, message: OutgoingMessage, body: str) -> AttemptResult:
        headers = signed_headers(message.id, body, message.secrets, utcnow())
        default_port = 443 if target.scheme == "https" else 80
        name = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal
        headers["host"] = name if target.port == default_port else f"{name}:{target.port}"
        parts = urlsplit(target.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        attempt = _Attempt(time.monotonic() + self._timeout_s)
        started = time.perf_counter()
        _current.attempt = attempt
        self._deadlines.watch(attempt)
        try:
            response = self._pool(target).urlopen(
                "POST", path, body=body.encode(), headers=headers, redirect=False,
                retries=False, preload_content=False, assert_same_host=False,
                timeout=urllib3.Timeout(connect=self._timeout_s, read=self._timeout_s))
            try:
                self._drain(response)
            finally:
                response.release_conn()
            elapsed = (time.perf_counter() - started) * 1000
            error = "redirect not followed" if response.get_redirect_location() else None
            return AttemptResult(response.status, error, elapsed,
                                 _retry_after(response.headers.get("retry-after")))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return AttemptResult(None, _failure(exc, attempt.expired), elapsed)
        finally:
            attempt.finish()
            _current.attempt = None

    def _drain(self, response: urllib3.BaseHTTPResponse) -> None:
        """Read the answer up to `max_response_bytes`; a longer one is not read on: its
        connection is closed, not kept."""
        seen = 0
        for chunk in response.stream(16384, decode_content=False):
            seen += len(chunk)
            if seen >= self._limit:
                response.close()
                return

    def close(self) -> None:
        self._pools.clear()
        self._deadlines.stop()


def _failure(exc: Exception, expired: bool) -> str:
    """What an attempt that got no answer says of it (a message's `last_error`): `timeout`,
    or the kind of failure and its cause, in words that do not depend on the client."""
    if expired or (isinstance(exc, urllib3.exceptions.TimeoutError)
                   and not isinstance(exc, urllib3.exceptions.NewConnectionError)):
        return "timeout"  # urllib3's "cannot connect" is a kind of connect timeout
    cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    if isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.SSLError):
        kind = "ConnectError"
    elif isinstance(exc, urllib3.exceptions.ProtocolError):
        kind = "RemoteProtocolError"
        cause = exc.args[1] if len(exc.args) > 1 else exc
    else:
        kind = type(exc).__name__
    return f"{kind}: {cause}"[:500]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max((parsedate_to_datetime(value) - utcnow()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
