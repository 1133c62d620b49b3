"""A real local HTTP webhook receiver that verifies Standard Webhooks signatures with the
`standardwebhooks` library, with scriptable answers (500s, 429s, slowness, redirects)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

# answer(request_number) -> (status, headers, delay_s)
Script = Callable[[int], tuple[int, dict[str, str], float]]


def always_ok(_: int) -> tuple[int, dict[str, str], float]:
    return 200, {}, 0.0


@dataclass
class Receiver:
    secret: str
    script: Script = always_ok
    received: list[dict[str, Any]] = field(default_factory=list)  # verified, 2xx answered
    attempts: list[str] = field(default_factory=list)  # webhook-id of every request
    cookies: list[str] = field(default_factory=list)  # the Cookie header of every request
    invalid: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> int:
        """Stop listening; returns the port so the receiver can come back on it."""
        assert self.server
        port = int(self.server.server_address[1])
        self.server.shutdown()
        self.server.server_close()
        return port

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            number = len(self.attempts)
            self.attempts.append(handler.headers.get("webhook-id", ""))
            self.cookies.append(handler.headers.get("cookie", ""))
        status, headers, delay = self.script(number)
        if delay:
            time.sleep(delay)
        try:
            payload = Webhook(self.secret).verify(body, dict(handler.headers.items()))
        except Exception:
            with self.lock:
                self.invalid += 1
            status = 400
        else:
            if 200 <= status < 300:
                with self.lock:
                    self.received.append({"id": handler.headers["webhook-id"], **payload})
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("content-length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    def ids(self) -> list[str]:
        with self.lock:
            return [item["id"] for item in self.received]

    def types(self) -> list[str]:
        with self.lock:
            return [item["type"] for item in self.received]
