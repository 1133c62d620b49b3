"""The benches' submit burst behaves as a client should: told to come back (429 or 503 with
`Retry-After`) it comes back; any other refusal fails the bench only once every submit was
tried, saying how many failed and how."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.workload import _burst

pytestmark = pytest.mark.unit


class Receiver(BaseHTTPRequestHandler):
    calls = itertools.count()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        call = next(self.calls)
        if call < 3:
            self._answer(429, {"title": "Too Many Requests"}, {"Retry-After": "0"})
        elif body.get("bad"):
            self._answer(422, {"title": "Unprocessable", "detail": "bad body"})
        else:
            self._answer(202, {"id": f"job-{body['n']}"})

    def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**(headers or {}), "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    Receiver.calls = itertools.count()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_burst_comes_back_when_told_to_and_returns_every_id(base_url: str) -> None:
    bodies = [{"n": n} for n in range(20)]
    ids = asyncio.run(_burst(base_url, "key", "/submit", bodies, concurrency=4))
    assert sorted(ids) == sorted(f"job-{n}" for n in range(20))


def test_a_refused_submit_fails_the_burst_after_every_submit_was_tried(base_url: str) -> None:
    bodies = [{"n": n, "bad": n in (5, 9)} for n in range(20)]
    with pytest.raises(RuntimeError, match=r"^2 of 20 submits refused, first: 422 .*bad body"):
        asyncio.run(_burst(base_url, "key", "/submit", bodies, concurrency=4))
    assert next(Receiver.calls) == 23  # 3 told to come back, then all 20
