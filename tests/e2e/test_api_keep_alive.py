"""An idle connection is closed by the client, not by the API: the API keeps one open longer
(`api_keep_alive_s`) than clients keep theirs. Otherwise the API may close a connection just
as a client sends its next request on it, and the client gets a reset instead of an answer
(seen in a burst of submits: 2 of 40,000 with uvicorn's default of 5 s, the same as
httpx's; 3 of 6,000 with 1 s)."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from config.loading import load_settings
from tests.conftest import free_port
from tests.e2e.harness import Process, wait_until

pytestmark = pytest.mark.e2e

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_the_api_keeps_an_idle_connection_longer_than_clients_and_load_balancers_do() -> None:
    keep_alive_s = load_settings("testing").api_keep_alive_s
    assert keep_alive_s > httpx.Limits().keepalive_expiry  # type: ignore[operator]
    assert keep_alive_s > 60  # the idle timeout of most load balancers


def test_fragrance_api_serves_with_the_configured_keep_alive(
        sqlite_url: str, redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FRAGRANCE_ENV": "testing", "FRAGRANCE_DATABASE_URL": sqlite_url,
           "FRAGRANCE_BROKER_URL": redis_url, "FRAGRANCE_API_KEEP_ALIVE_S": "2"}
    api = Process("fragrance-api", [sys.executable, "-m", "cli.main", "api", "--port",
                                    str(port)], env, tmp_path).start()
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200,
                   30, "the API")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(REQUEST)
            assert _response(connection).startswith(b"HTTP/1.1 200")
            time.sleep(1.0)  # idle, within the keep-alive: the same connection is served
            connection.sendall(REQUEST)
            assert _response(connection).startswith(b"HTTP/1.1 200")
            time.sleep(3.5)  # idle past it: the API has closed its end
            assert connection.recv(1024) == b""
    finally:
        api.stop()


def _response(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        assert chunk, "the API closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += connection.recv(4096)
    return data
