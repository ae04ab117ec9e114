"""Local HTTP servers for spider tests: nothing in the tests touches the internet.

- ``serve(routes)``: a threaded server on 127.0.0.1 (free port) answering fixed routes
  (``path?query -> (status, headers, body)``, 404 for anything else). It yields the base URL,
  a ``str`` that also carries the log of received requests (``.requests``, ``.hits(path)``,
  ``.times(path)``: when each request arrived, ``time.monotonic()``). A route may also be a
  list of answers (given in turn, the last one repeated: a 503 then a 200), a ``Streamed``
  body sent without Content-Length (chunked, or delimited by closing the connection), or a
  callable returning the answer when the request arrives (a date relative to "now").
- ``routes_from_recorded(folder)``: the routes that replay a recorded source folder
  (``pages.jsonl`` + ``bodies/``), keyed by URL path, so a recorded crawl can be served locally.
- ``silent_server()``: accepts connections and never answers (download timeouts).
- ``closed_port()``: a port on 127.0.0.1 where nothing listens (connection refused).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.raw import RawArchive

Route = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Streamed:
    """A body sent in pieces with no Content-Length: ``chunked`` (HTTP/1.1 Transfer-Encoding)
    or, if not, HTTP/1.0 ending at connection close."""

    status: int
    headers: dict[str, str]
    chunks: list[bytes]
    chunked: bool = True

# Headers that describe the stored transfer, not the stored body: recomputed or dropped on replay.
_TRANSFER_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # time.monotonic() on arrival


class ServerURL(str):
    """The base URL (``http://127.0.0.1:PORT``) plus what the server received."""

    requests: list[SeenRequest]

    def hits(self, path: str) -> int:
        return sum(1 for r in list(self.requests) if r.path == path)

    def times(self, path: str) -> list[float]:
        return [r.at for r in list(self.requests) if r.path == path]

    def url(self, path: str) -> str:
        return str(self) + path


@contextmanager
def serve(routes: dict[str, Route | list[Route] | Streamed | Callable[[], Route]]) -> Iterator[ServerURL]:
    """Serve ``routes`` on 127.0.0.1 on a free port while the block runs; yield the base URL."""
    seen: list[SeenRequest] = []
    lock = threading.Lock()
    served: dict[str, int] = {}  # path -> answers given (for list routes)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body: bool) -> None:
            with lock:
                seen.append(SeenRequest(self.command, self.path, {k: v for k, v in self.headers.items()}, time.monotonic()))
                route = routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found\n"))
                if isinstance(route, list):
                    n = served.get(self.path, 0)
                    served[self.path] = n + 1
                    route = route[min(n, len(route) - 1)]
            if callable(route):
                route = route()
            if isinstance(route, Streamed):
                self._stream(route, with_body)
                return
            status, headers, body = route
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in _TRANSFER_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (size limit)
                    pass

        def _stream(self, route: Streamed, with_body: bool) -> None:
            if route.chunked:
                self.protocol_version = "HTTP/1.1"
            self.send_response(route.status)
            for key, value in route.headers.items():
                if key.lower() not in _TRANSFER_HEADERS:
                    self.send_header(key, value)
            if route.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if not with_body:
                return
            try:
                for chunk in route.chunks:
                    if route.chunked:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    else:
                        self.wfile.write(chunk)
                    self.wfile.flush()
                if route.chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (size limit)
                pass

        def do_GET(self) -> None:  # noqa: N802
            self._answer(True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(False)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = ServerURL(f"http://127.0.0.1:{server.server_address[1]}")
    base.requests = seen
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def routes_from_recorded(source_folder: Path) -> dict[str, Route]:
    """Routes replaying every RawPage of a recorded source folder (``<crawl_id>/<source_id>``).

    Keys are the URL path (with ``?query``); the host is dropped, so pages of one source must
    not share a path across hosts. Transfer headers (length, encoding) are left out: the stored
    body is the decoded body.
    """
    folder = Path(source_folder)
    archive = RawArchive(folder.parent.parent)
    routes: dict[str, Route] = {}
    for page in archive.pages(folder.parent.name, folder.name):
        parts = urlsplit(page.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {k: v for k, v in page.headers.items() if k.lower() not in _TRANSFER_HEADERS}
        routes[path] = (page.status, headers, page.body())
    return routes


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections, reads, and never answers; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)  # keep it open, say nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        sock.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
