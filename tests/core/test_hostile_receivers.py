"""Receivers that answer too slowly to ever hit a read timeout: each read gets a byte before
the per-read timeout, so only a deadline on the whole attempt ends it. An attempt that
outlived `webhook_timeout_s` held a sender slot (and one of its host's) for as long as the
receiver kept dripping, and outlived its lease: the message was sent again meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from core.deliveries import OutgoingMessage
from core.url_policy import UrlPolicy
from workers.webhook_sender import WebhookSender

TIMEOUT_S = 0.5
DRIP_S = 0.05  # one byte this often: well inside the per-read timeout


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


def _drip(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    for byte in data:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(DRIP_S)


def drip_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    _drip(conn, b"x" * 120, stop)  # 6 s: far past the timeout


def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
    _drip(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 120, stop)


@pytest.fixture
def hostile() -> Iterator[Callable[[Callable[[socket.socket, threading.Event], None]], str]]:
    stop = threading.Event()
    servers: list[socket.socket] = []

    def serve(handler: Callable[[socket.socket, threading.Event], None]) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def one(conn: socket.socket) -> None:
            with conn:
                try:
                    _read_request(conn)
                    handler(conn, stop)
                except OSError:
                    pass

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=one, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}/hook"

    yield serve
    stop.set()
    for server in servers:
        server.close()


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=TIMEOUT_S,
                           max_response_bytes=65536, per_host=4)
    yield sender
    sender.close()


def message(url: str) -> OutgoingMessage:
    return OutgoingMessage("msg_hostile", url, {"type": "job.completed", "data": {}}, 1, 1,
                           ("whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=",))


@pytest.mark.parametrize("handler", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_receiver_that_drips_its_answer_times_out_within_the_timeout(
        hostile: Callable[[Callable[[socket.socket, threading.Event], None]], str],
        sender: WebhookSender, handler: Callable[[socket.socket, threading.Event], None]
) -> None:
    url = hostile(handler)
    started = time.monotonic()
    result = sender.send(message(url))
    took = time.monotonic() - started
    assert took < TIMEOUT_S + 1.0, f"the attempt took {took:.1f} s: {result}"
    assert result.error == "timeout" and result.status_code is None
    assert result.retryable


def test_a_connection_left_by_a_timed_out_attempt_is_not_reused(
        hostile: Callable[[Callable[[socket.socket, threading.Event], None]], str],
        sender: WebhookSender) -> None:
    url = hostile(drip_body)
    for _ in range(2):  # the second attempt has its own deadline, not the first one's
        started = time.monotonic()
        assert sender.send(message(url)).error == "timeout"
        assert time.monotonic() - started < TIMEOUT_S + 1.0


def silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)  # reads the request, never answers


def test_a_silent_hosts_messages_are_postponed_as_long_as_its_attempts_hang(
        hostile: Callable[[Callable[[socket.socket, threading.Event], None]], str]) -> None:
    """A message that finds its host's every slot taken is not attempted; it used to be due
    again a second later whatever the host did, so 500 messages to a silent receiver were
    rewritten 500 times a second for as long as it stayed silent. Now: a second while the
    host's attempt is young, then until that attempt times out."""
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=4.0,
                           max_response_bytes=65536, per_host=1)
    url = hostile(silent)
    try:
        hanging = threading.Thread(target=sender.send, args=(message(url),), daemon=True)
        hanging.start()
        time.sleep(0.3)
        first = sender.send(message(url))
        assert first.busy and first.retry_after_s == 1.0  # a second: it may answer yet
        time.sleep(2.0)
        later = sender.send(message(url))
        assert later.busy and later.retry_after_s is not None
        assert 1.0 <= later.retry_after_s <= 2.0  # until the hanging attempt times out
        hanging.join(10)
    finally:
        sender.close()


def test_a_name_whose_lookup_hangs_holds_only_its_hosts_slots() -> None:
    """The host's slot is taken before its name is resolved: resolved first, every message
    to a name whose nameserver never answers held a sender for the resolver's timeout,
    beyond the per-host limit (bounded only by the tenant's share of the senders)."""
    resolving, release = threading.Semaphore(0), threading.Event()
    lookups = []

    def slow_resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        resolving.release()
        release.wait(10)
        return ["93.184.215.14"]  # public: the policy lets it through, then nothing answers

    sender = WebhookSender(UrlPolicy.build(True, [], [], resolver=slow_resolver),
                           timeout_s=0.2, max_response_bytes=65536, per_host=1)
    url = "http://hooks.slow-dns.example/hook"
    try:
        first = threading.Thread(target=sender.send, args=(message(url),), daemon=True)
        first.start()
        assert resolving.acquire(timeout=5)  # the first message is resolving the name
        second = sender.send(message(url))
        assert second.busy  # postponed: its host's one slot is the hanging lookup's
        assert lookups == ["hooks.slow-dns.example"]
        other = sender.send(message("ftp://elsewhere.example/hook"))  # no slot needed
        assert other.permanent and other.error and other.error.startswith("refused")
        assert sender.send(message("http://x.example:99999/")).permanent  # port out of range
    finally:
        release.set()
        first.join(10)
        sender.close()
