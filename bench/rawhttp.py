"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for load generation only.

httpx's async pool costs ~2.5 ms of client CPU per request at 32 connections, which caps a
one-core client near 400 req/s: below what a bare uvicorn worker serves. This client sends
pre-encoded requests and parses only the status line and Content-Length (chunked bodies are
read too), so the server, not the client, is what gets measured."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class RawConnection:
    def __init__(self, url: str, method: str, body: bytes, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self) -> int:
        """One request, one response; returns the status code. Reconnects when closed."""
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(self.request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = _framing(head)
        if chunked:
            await _read_chunked(self._reader)
        elif length:
            await self._reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _framing(head: bytes) -> tuple[int, bool, bool]:
    length, chunked, close = 0, False, False
    for line in head.lower().split(b"\r\n")[1:]:
        if line.startswith(b"content-length:"):
            length = int(line[15:])
        elif line.startswith(b"transfer-encoding:") and b"chunked" in line:
            chunked = True
        elif line.startswith(b"connection:") and b"close" in line:
            close = True
    return length, chunked, close


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return
