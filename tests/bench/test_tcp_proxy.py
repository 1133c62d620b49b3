"""The chaos run's TCP proxy passes bytes both ways and, when the server's end goes away (a
Redis restart), ends the client's end too: the client sees the close at once instead of
waiting on a half-open connection."""

from __future__ import annotations

import socket
import threading

from bench.tcp_proxy import TcpProxy


def test_a_server_that_goes_away_closes_the_clients_connection_through_the_proxy() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    ready = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        accepted.append(connection)
        ready.set()

    threading.Thread(target=serve, daemon=True).start()
    proxy = TcpProxy(server.getsockname()[1]).start()
    try:
        client = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        assert ready.wait(5)
        client.sendall(b"PING\r\n")
        assert accepted[0].recv(16) == b"PING\r\n"
        accepted[0].sendall(b"+PONG\r\n")
        assert client.recv(16) == b"+PONG\r\n"
        accepted[0].close()  # the server restarts: its end of the connection closes
        client.settimeout(2)  # a half-open connection would time out here
        assert client.recv(16) == b""
        client.close()
    finally:
        proxy.stop()
        server.close()
