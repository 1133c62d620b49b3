"""A TCP proxy the chaos run controls, between workers and Redis: pass through, add delay
to every chunk in both directions, cut every open connection, or refuse new ones."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from bench.processes import free_port

CHUNK = 65536


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.delay_s = 0.0
        self.refusing = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port), backlog=256)
        self._stopped = False

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()
        return self

    def cut(self) -> int:
        """Close every open connection (both ends see a reset); how many were cut."""
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _end(sock)
        return len(sockets) // 2

    def stop(self) -> None:
        self._stopped = True
        self._server.close()
        self.cut()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:  # e.g. a client reset before accept; stop() closes the socket
                if self._stopped:
                    return
                time.sleep(0.01)
                continue
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(CHUNK):
                if self.delay_s:
                    time.sleep(self.delay_s)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._open.discard(sock)
                _end(sock)


def _end(sock: socket.socket) -> None:
    """Shut down, then close: a plain close leaves the peer's side open while another thread
    still blocks in recv on the socket (no FIN is sent), so a client whose server went away
    would wait on a half-open connection."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
