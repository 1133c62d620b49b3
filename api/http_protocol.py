"""The HTTP parser's own refusals, answered as problem+json like every other error.

uvicorn answers a request its parser cannot read (a control byte in a header value, a
malformed request line, a bad chunk size) itself, before the app sees it, with a
plain-text 400. The API runs with this protocol class (`fragrance api`, the benches' and
tests' uvicorn command line), so a client gets the same problem+json for those as for any
other bad input. The connection is still closed: the parser cannot tell where the next
request would begin."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger("api.connections")

# Open connections one API process holds at most. Each is a file handle: 20,000 idle sockets
# held by one client used up the process's handles, and every request, health checks
# included, was reset with nothing in the log. A connection beyond this is closed at once
# (a client per source address is a proxy's job: deploy behind one, docs/bulkheads.md).
MAX_CONNECTIONS = 4096
FULL_WARNING_EVERY_S = 10.0
# A request's headers and body arrive within this many seconds of its first byte: a header
# line every 10 s, or a 15 MB body a byte every 5 s, held a connection (and its buffered
# bytes) for good. 16 MiB in a minute is 280 KB/s.
REQUEST_READ_S = 60.0

PROTOCOL = "api.http_protocol:ProblemHttpProtocol"  # uvicorn's --http, as an import string

UNPARSABLE = json.dumps({
    "type": "about:blank", "title": "Bad Request", "status": 400,
    "detail": "the request is not valid HTTP/1.1 (a control character in a header, a "
              "malformed request line or a bad chunk): it was not read",
}).encode()  # fmt: skip


class ProblemHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with its parser-error answer as problem+json, a cap on
    open connections (`MAX_CONNECTIONS`), the keep-alive timeout from the moment a
    connection opens (one that never sent a request stayed open for good), and a deadline
    for reading a request's headers and body from its first byte (`REQUEST_READ_S`: a
    header line every 10 s held a connection for good)."""

    _warned_at = 0.0
    _read_deadline: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self._read_deadline is None:  # a request begins
            self._read_deadline = self.loop.call_later(REQUEST_READ_S, self._read_too_slow)
        super().data_received(data)

    def on_message_complete(self) -> None:
        self._end_read_deadline()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_read_deadline()
        super().connection_lost(exc)

    def _end_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _read_too_slow(self) -> None:
        self._read_deadline = None
        logger.info("closed a connection from %s: its request did not arrive within %g s",
                    "{}:{}".format(*self.client) if self.client else "unknown",
                    REQUEST_READ_S)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            now = time.monotonic()
            if now - ProblemHttpProtocol._warned_at >= FULL_WARNING_EVERY_S:
                ProblemHttpProtocol._warned_at = now
                logger.warning("%d connections open, the most one API process holds: new "
                               "ones are closed at once (the last from %s)",
                               len(self.connections) - 1,
                               "{}:{}".format(*self.client) if self.client else "unknown")
            transport.abort()
            return
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def send_400_response(self, msg: str) -> None:
        content = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [b"content-type: application/problem+json\r\n",
                    b"content-length: ", str(len(UNPARSABLE)).encode(), b"\r\n",
                    b"connection: close\r\n\r\n", UNPARSABLE]  # fmt: skip
        self.transport.write(b"".join(content))
        self.transport.close()
