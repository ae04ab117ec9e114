"""A fault-injecting HTTP server on 127.0.0.1 (a free port), for live crawls in the fault matrix.

Routes map a URL path (with ``?query``) to a ``Reply`` or a list of them (one per attempt, the
last repeated), so a path can answer 503 first and 200 on the retry. A reply can wait before
answering (``delay``: a slow server, a download timeout), send only part of its body and then
reset the connection (``drop_after``), or carry any status and headers. Every request is logged
with its arrival time (``requests``: (monotonic seconds, method, path)).
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_SKIP = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0               # seconds before the status line
    drop_after: int | None = None    # send this many body bytes, then reset the connection


class FaultServer:
    def __init__(self, routes: dict[str, Reply | list[Reply]] | None = None) -> None:
        self.routes: dict[str, Reply | list[Reply]] = dict(routes or {})
        self.requests: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, with_body: bool) -> None:
                with server._lock:
                    n = sum(1 for _, _, p in server.requests if p == self.path)
                    server.requests.append((time.monotonic(), self.command, self.path))
                reply = server.routes.get(self.path)
                if isinstance(reply, list):
                    reply = reply[min(n, len(reply) - 1)]
                if reply is None:
                    reply = Reply(404, {"Content-Type": "text/plain"}, b"not found\n")
                if reply.delay and server._stop.wait(reply.delay):
                    return
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        if k.lower() not in _SKIP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.drop_after is not None:
                        self.end_headers()
                        if with_body:
                            self.wfile.write(reply.body[:reply.drop_after])
                            self.wfile.flush()
                        # RST instead of FIN: the peer sees the connection dropped mid-body
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.close_connection = True
                        return
                    self.send_header("Connection", "close")
                    self.close_connection = True
                    self.end_headers()
                    if with_body:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (size limit)
                    self.close_connection = True

            def do_GET(self) -> None:  # noqa: N802
                self._answer(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(False)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def hits(self, path: str) -> list[float]:
        """Arrival times of the requests for ``path`` (robots.txt excluded unless asked)."""
        with self._lock:
            return [t for t, _, p in self.requests if p == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, _, p in self.requests]
