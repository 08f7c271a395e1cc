"""Local preview: serve a built site under its base path as GitHub Pages would, with live reload.

The server only reads the site folder; it never builds. Whoever builds tells it how each
build went (`notify_reload()`, `notify_error()`), and every open tab hears about it over
Server-Sent Events from `<base>__sitegen/events`. This module is the HTTP plumbing; what a
request is answered is `responses`, which hosts are served is `hosts`, and the shared build
status is `status`.

A request must arrive whole within the client timeout, however slowly its bytes trickle in.
"""

from __future__ import annotations

import errno
import io
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from sitegen.dev.hosts import LOOPBACK_NAMES, exposure_warning, host_name, machine_names, same_address
from sitegen.dev.responses import CONTENT_TYPES, PreviewSite, Response
from sitegen.dev.status import BuildStatus, StatusBoard, event_message
from sitegen.diagnostics import Diagnostic, SitegenError, error

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Serves one connection: GET and HEAD of site files, and the live-reload stream."""

    server: _HttpServer

    def version_string(self) -> str:
        return "sitegen-preview"

    def setup(self) -> None:
        self.timeout = self.server.preview.client_timeout  # a slow client cannot hold a thread long
        super().setup()
        # The request is read through a reader with a deadline for the whole request: a socket
        # timeout alone restarts with every byte, so one byte every few seconds held a thread.
        self.rfile.close()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers: the last bytes of a GET or HEAD
        self._reader.deadline = None
        self.connection.settimeout(self.timeout)  # the answer is written with the usual timeout
        return parsed

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        preview = self.server.preview
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not preview.host_allowed(hosts[0], self.connection.getsockname()[0]):
            self._send(Response(403, CONTENT_TYPES[".txt"], b"403 Forbidden: unexpected Host\n"), with_body)
        elif preview.site.is_event_stream(self.path) and with_body:
            self._stream_events(preview)
        else:
            build_id = preview.status.build_id  # before reading files: never older than the page
            self._send(preview.site.respond(self.path, build_id), with_body)

    def _send(self, response: Response, with_body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if response.location is not None:
            self.send_header("Location", response.location)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def _stream_events(self, preview: PreviewServer) -> None:
        """Send the current build status, then every change, with a heartbeat comment between."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(b"retry: 1000\n\n")
        seen = None
        while (update := preview.board.wait(seen, preview.heartbeat)) is not None:
            version, status = update
            self.wfile.write(event_message(status) if version != seen else b": heartbeat\n\n")
            seen = version

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client went away mid-answer; nothing to tell anyone
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _DeadlineReader(io.RawIOBase):
    """Reads a socket; while `deadline` (a `time.monotonic()` value) is set, no read waits past it."""

    def __init__(self, connection: socket.socket):
        self.connection = connection
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.connection.settimeout(remaining)
        return self.connection.recv_into(buffer)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # shutdown() must not wait for a slow client's timeout
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily, preview: PreviewServer):
        self.address_family = family
        self.preview = preview
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, a DNS query for nothing.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("request from %s failed", client_address, exc_info=True)


def _listen(host: str, port: int, preview: PreviewServer) -> _HttpServer:
    """A bound, listening server, or a `SitegenError` telling the user what to do instead."""
    try:
        address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        return _HttpServer((host, port), address[0][0], preview)
    except socket.gaierror:
        raise _failure(f"cannot listen on host {host!r}: no such address") from None
    except OSError as problem:
        if problem.errno == errno.EADDRINUSE:
            raise _failure(f"port {port} is in use; try --port {port + 1}") from None
        if problem.errno == errno.EACCES:
            raise _failure(f"port {port} needs special privileges; try --port 8000") from None
        raise _failure(f"cannot listen on {host}:{port}: {problem.strerror}") from None


def _failure(message: str) -> SitegenError:
    return SitegenError([error("serve", None, message)])


class PreviewServer:
    """Serves `site_dir` under `base_path` at http://host:port, with live reload.

    Binds when constructed (port 0 picks a free port; see `port` and `url`). Raises
    `SitegenError` when it cannot listen, e.g. "port 8000 is in use; try --port 8001".
    """

    def __init__(
        self,
        site_dir: Path,
        *,
        base_path: str = "/",
        host: str = "127.0.0.1",
        port: int = 8000,
        client_timeout: float = 10.0,
        heartbeat: float = 15.0,
    ):
        self.site_dir = Path(site_dir)
        self.site = PreviewSite(self.site_dir, base_path)
        self.board = StatusBoard()
        self.host = host
        self.client_timeout = client_timeout
        self.heartbeat = heartbeat
        self.exposure_warning = exposure_warning(host)
        self._allowed_hosts = LOOPBACK_NAMES | machine_names() | {host.strip("[]").lower() or "0.0.0.0"}
        self._httpd = _listen(host, port, self)
        self._thread: threading.Thread | None = None
        self._serving = False  # the serve loop was started, here or in another thread
        self._closed = False

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The full address of the site, base path included, e.g. http://127.0.0.1:8000/repo/."""
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}{quote(self.site.base)}"

    @property
    def status(self) -> BuildStatus:
        """The last build's status, which a newly opened tab is sent first."""
        return self.board.current()

    def host_allowed(self, header: str, local_address: str | None = None) -> bool:
        """Whether a `Host` header names this server: loopback, the bound host, this machine's
        name, or the address the client connected to (`local_address`: how a LAN client of a
        server bound to every interface writes it). Any other name is refused, because that is
        what DNS rebinding looks like: a page of another site that resolved to this machine."""
        name = host_name(header)
        return name in self._allowed_hosts or (local_address is not None and same_address(name, local_address))

    def notify_reload(self, warnings: Sequence[Diagnostic] = ()) -> None:
        """A build succeeded: every tab reloads (and drops its error overlay), then lists `warnings`."""
        self.board.succeeded(warnings)

    def notify_warnings(self, warnings: Sequence[Diagnostic]) -> None:
        """A build succeeded without changing a page: tabs stay, and list `warnings`."""
        self.board.succeeded(warnings, new_build=False)

    def notify_error(self, diagnostics: Sequence[Diagnostic], warnings: Sequence[Diagnostic] = ()) -> None:
        """A build failed: every tab shows `diagnostics` and `warnings`; the last good site stays served."""
        self.board.failed(diagnostics, warnings)

    def start(self) -> None:
        """Serve from a background thread."""
        self._serving = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in this thread until `shutdown()` or Ctrl-C; returns quietly either way."""
        self._serving = True
        try:
            self._httpd.serve_forever(0.1)
        except KeyboardInterrupt:
            pass
        finally:
            self._close()

    def shutdown(self) -> None:
        """Stop serving, end every live-reload stream and release the port."""
        self.board.close()
        if self._serving:
            self._httpd.shutdown()  # returns at once when the loop has already ended
        if self._thread is not None:
            self._thread.join()
        self._close()

    def _close(self) -> None:
        self.board.close()
        if not self._closed:
            self._closed = True
            self._httpd.server_close()

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
