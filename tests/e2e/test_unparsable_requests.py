"""A request the HTTP parser cannot read is refused before the app sees it, and still
answered as problem+json (`api.http_protocol`), by `fragrance api` itself: a control byte in
a header value (an `Idempotency-Key` with a NUL), a malformed request line, a bad chunk."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.harness import Process, wait_until

pytestmark = pytest.mark.e2e

UNPARSABLE = [
    b"POST /api/v1/search/semantic HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x00b\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: bell\x07\r\n\r\n",
    b"GET /he alth z HTTP/1.1\r\nHost: x\r\n\r\n",
    b"NOT-HTTP\r\n\r\n",
    b"POST /api/v1/search/semantic HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\n{}\r\n0\r\n\r\n",
]


@pytest.fixture(scope="module")
def api_port(tmp_path_factory: pytest.TempPathFactory, sqlite_url: str,
             redis_url: str) -> Iterator[int]:
    folder: Path = tmp_path_factory.mktemp("unparsable")
    port = free_port()
    env = {**os.environ, "FRAGRANCE_ENV": "testing", "FRAGRANCE_DATABASE_URL": sqlite_url,
           "FRAGRANCE_BROKER_URL": redis_url}
    api = Process("fragrance-api", [sys.executable, "-m", "cli.main", "api", "--port",
                                    str(port)], env, folder).start()  # fmt: skip
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200,
                   30, "the API")
        yield port
    finally:
        api.stop()


@pytest.mark.parametrize("request_bytes", UNPARSABLE, ids=range(len(UNPARSABLE)))
def test_an_unparsable_request_gets_a_problem_and_a_closed_connection(
        api_port: int, request_bytes: bytes) -> None:
    with socket.create_connection(("127.0.0.1", api_port), timeout=10) as connection:
        connection.sendall(request_bytes)
        answer = b""
        while chunk := connection.recv(4096):  # the API closes the connection after it
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 400 Bad Request", answer
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == 400 and problem["title"] == "Bad Request"
    assert "not valid HTTP/1.1" in problem["detail"]


def test_the_api_still_serves_after_refusing_unparsable_requests(api_port: int) -> None:
    assert httpx.get(f"http://127.0.0.1:{api_port}/healthz").status_code == 200


@pytest.fixture(scope="module")
def small_api_port(tmp_path_factory: pytest.TempPathFactory, sqlite_url: str,
                   redis_url: str) -> Iterator[tuple[int, Process]]:
    folder: Path = tmp_path_factory.mktemp("connections")
    port = free_port()
    env = {**os.environ, "FRAGRANCE_ENV": "testing", "FRAGRANCE_DATABASE_URL": sqlite_url,
           "FRAGRANCE_BROKER_URL": redis_url, "FRAGRANCE_API_KEEP_ALIVE_S": "2",
           "FRAGRANCE_API_MAX_CONNECTIONS": "20", "FRAGRANCE_API_REQUEST_READ_S": "3"}
    api = Process("fragrance-api", [sys.executable, "-m", "cli.main", "api", "--port",
                                    str(port)], env, folder).start()  # fmt: skip
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200,
                   30, "the API")
        yield port, api
    finally:
        api.stop()


def test_idle_connections_cannot_use_up_the_api(small_api_port: tuple[int, Process]) -> None:
    """20,000 sockets that never sent a request used up the API's file handles: every
    request, health checks too, was reset, and nothing was logged. A connection that sends
    nothing is closed after the keep-alive time, one past the cap at once, with a warning;
    the API answers again as soon as the idle ones are gone."""
    port, api = small_api_port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
    try:
        closed = 0
        for connection in idle[20:]:  # past the cap: closed at once
            try:
                closed += connection.recv(1) == b""
            except ConnectionResetError:
                closed += 1
        assert closed == 20
        wait_until(lambda: "connections open, the most one API process holds" in _log(api),
                   10, "the warning")
        for connection in idle[:20]:  # idle: closed after the keep-alive time (2 s)
            with contextlib.suppress(ConnectionResetError):
                assert connection.recv(1) == b""
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        for connection in idle:
            connection.close()


@pytest.mark.parametrize("trickle", [
    [b"GET /healthz HTTP/1.1\r\n"] + [b"X-Slow: 1\r\n"] * 20,  # a header line at a time
    [b"POST /api/v1/search/semantic HTTP/1.1\r\nHost: x\r\nContent-Type: "
     b"application/json\r\nContent-Length: 15000000\r\n\r\n"] + [b"{"] * 20,
])
def test_a_request_that_trickles_in_is_cut_off(small_api_port: tuple[int, Process],
                                               trickle: list[bytes]) -> None:
    """A header line every 10 s, or a 15 MB body a byte every 5 s, held a connection (and
    what it had sent) for as long as the client liked: the request has
    `api_request_read_s` (3 s here) from its first byte."""
    port, _ = small_api_port
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        with contextlib.suppress(OSError):  # the API closes it under the client's feet
            for piece in trickle:
                connection.sendall(piece)
                time.sleep(0.5)
                if time.monotonic() - started > 8:
                    break
        with contextlib.suppress(ConnectionResetError):
            while connection.recv(4096):
                pass
    assert time.monotonic() - started < 9


def test_a_forwarded_address_is_not_believed(small_api_port: tuple[int, Process]) -> None:
    """`X-Forwarded-For: <script>` from 127.0.0.1 was the client's address in the access
    log: no proxy is trusted unless `api_trusted_proxies` names it."""
    port, api = small_api_port
    httpx.get(f"http://127.0.0.1:{port}/api/v1/jobs", headers={"X-Forwarded-For": "6.6.6.6"})
    wait_until(lambda: "/api/v1/jobs" in _log(api), 10, "the access log line")
    assert "6.6.6.6" not in _log(api)


def _log(process: Process) -> str:
    return process.log_path.read_text(errors="replace")
