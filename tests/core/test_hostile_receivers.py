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
