"""A request the HTTP parser cannot read is refused before the app sees it, and still
answered as problem+json (`api.http_protocol`), by `fragrance api` itself: a control byte in
a header value (an `Idempotency-Key` with a NUL), a malformed request line, a bad chunk."""

from __future__ import annotations

import json
import os
import socket
import sys
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
