"""Webhooks over https: the sender connects to the address the URL policy checked, and
still presents the URL's host name (SNI, Host) and requires a certificate for that name,
not for the address. A receiver that never finishes its TLS handshake ends as a timeout
within the attempt's deadline."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from core.deliveries import OutgoingMessage
from core.url_policy import UrlPolicy
from workers.webhook_sender import WebhookSender

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver(ThreadingHTTPServer):
    """A local receiver: over TLS with `context`, else plain HTTP; it records each
    request's Host header and target, and answers 204 on a kept-alive connection."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext | None, address: str = "127.0.0.1",
                 family: socket.AddressFamily = socket.AF_INET) -> None:
        self.address_family = family
        super().__init__((address, 0), Handler)
        self.names: list[str | None] = []  # the name each handshake asked for (SNI)
        self.requests: list[tuple[str | None, str]] = []  # (Host header, target)
        if context is not None:
            context.sni_callback = lambda _sock, name, _ctx: self.names.append(name)
            self.socket = context.wrap_socket(self.socket, server_side=True)


class Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keeps the connection

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.requests.append((self.headers.get("host"), self.path))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(authority: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return str(path)


def serving(authority: trustme.CA, name: str) -> Receiver:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(context)
    receiver = Receiver(context)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture
def receivers(authority: trustme.CA) -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for receiver in started:
        receiver.shutdown()
        receiver.server_close()


def sender_to_loopback(ca_file: str, timeout_s: float = 5.0) -> WebhookSender:
    """Every name resolves to 127.0.0.1, which the policy allows."""
    policy = UrlPolicy.build(False, [], ["127.0.0.0/8"],
                             resolver=lambda host, port: ["127.0.0.1"])
    return WebhookSender(policy, timeout_s=timeout_s, max_response_bytes=1024, per_host=2,
                         ca_certs=ca_file)


def message(url: str) -> OutgoingMessage:
    return OutgoingMessage("msg_tls", url, {"type": "job.completed", "data": {}}, 1, 1,
                           (SECRET,), None, "tenant")


def test_https_presents_the_urls_host_to_the_checked_address(
        authority: trustme.CA, ca_file: str, receivers: list[Receiver]) -> None:
    receivers.append(receiver := serving(authority, "hooks.example"))
    sender = sender_to_loopback(ca_file)
    try:
        url = f"https://hooks.example:{receiver.server_port}/hook"
        first, again = sender.send(message(url)), sender.send(message(url))
    finally:
        sender.close()
    assert (first.status_code, first.error) == (204, None)
    assert again.status_code == 204
    assert receiver.names == ["hooks.example"]  # one handshake: the connection was kept
    assert receiver.requests == [(f"hooks.example:{receiver.server_port}", "/hook")] * 2


def test_a_certificate_for_another_name_is_refused(
        authority: trustme.CA, ca_file: str, receivers: list[Receiver]) -> None:
    receivers.append(receiver := serving(authority, "other.example"))
    sender = sender_to_loopback(ca_file)
    try:
        result = sender.send(message(f"https://hooks.example:{receiver.server_port}/hook"))
    finally:
        sender.close()
    assert result.status_code is None and not result.permanent  # retried: may be fixed
    assert result.error and result.error.startswith("ConnectError") \
        and "match" in result.error
    assert receiver.requests == []


def test_a_certificate_from_an_unknown_authority_is_refused(
        receivers: list[Receiver]) -> None:
    receivers.append(receiver := serving(trustme.CA(), "hooks.example"))
    policy = UrlPolicy.build(False, [], ["127.0.0.0/8"],
                             resolver=lambda host, port: ["127.0.0.1"])
    sender = WebhookSender(policy, timeout_s=5, max_response_bytes=1024, per_host=2)
    try:
        result = sender.send(message(f"https://hooks.example:{receiver.server_port}/hook"))
    finally:
        sender.close()
    assert result.error and "certificate" in result.error.lower()


def test_a_receiver_that_never_finishes_the_handshake_times_out(ca_file: str) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    sender = sender_to_loopback(ca_file, timeout_s=0.5)
    try:
        started = time.monotonic()
        result = sender.send(message(f"https://hooks.example:{silent.getsockname()[1]}/"))
        took = time.monotonic() - started
    finally:
        sender.close()
        silent.close()
    assert result.error == "timeout"
    assert took < 5  # the attempt's deadline (0.5 s), with room for a busy host


def test_an_ipv6_receiver_gets_a_bracketed_host_and_its_path_and_query() -> None:
    """The Host header of a URL with an IPv6 literal keeps its brackets (RFC 9110):
    `::1:8080` names no host."""
    try:
        server = Receiver(None, "::1", socket.AF_INET6)
    except OSError:
        pytest.skip("this host has no IPv6 loopback")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    sender = WebhookSender(UrlPolicy.build(True, [], ["::1/128"]), timeout_s=5,
                           max_response_bytes=1024, per_host=2)
    try:
        result = sender.send(message(f"http://[::1]:{port}/hook?x=1&y=%20z"))
    finally:
        sender.close()
        server.shutdown()
        server.server_close()
    assert result.status_code == 204
    assert server.requests == [(f"[::1]:{port}", "/hook?x=1&y=%20z")]
