"""Local preview: serve a built site under its base path as GitHub Pages would, with live reload.

The server only reads the site folder; it never builds. Whoever builds tells it how each
build went (`notify_reload()`, `notify_error()`), and every open tab hears about it over
Server-Sent Events from `<base>__sitegen/events`. The script that listens is added to HTML
responses on the way out, so built files never contain it.

Safety: paths are decoded once and refused if they hold `..`, `.`, empty segments, NUL or
backslashes; the file finally read must resolve inside the site folder (symlinks included);
requests whose `Host` is not loopback, the bound host, this machine's name or the address
the client connected to are refused (DNS rebinding). Every bad path is a plain 404. A
request must arrive whole within the client timeout, however slowly its bytes trickle in.
"""

from __future__ import annotations

import errno
import html
import io
import ipaddress
import json
import logging
import secrets
import socket
import socketserver
import stat
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, unquote

from sitegen.diagnostics import Diagnostic, SitegenError, error

logger = logging.getLogger(__name__)

RESERVED_FOLDER = "__sitegen/"  # below the base path; a site never has this folder
SCRIPT_PATH = RESERVED_FOLDER + "livereload.js"
EVENTS_PATH = RESERVED_FOLDER + "events"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

_TEXT = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + _TEXT,
    ".htm": "text/html" + _TEXT,
    ".css": "text/css" + _TEXT,
    ".js": "text/javascript" + _TEXT,
    ".mjs": "text/javascript" + _TEXT,
    ".json": "application/json" + _TEXT,
    ".webmanifest": "application/manifest+json" + _TEXT,
    ".xml": "application/xml" + _TEXT,
    ".atom": "application/atom+xml" + _TEXT,
    ".rss": "application/rss+xml" + _TEXT,
    ".svg": "image/svg+xml" + _TEXT,
    ".txt": "text/plain" + _TEXT,
    ".csv": "text/csv" + _TEXT,
    ".md": "text/markdown" + _TEXT,
    ".bib": "text/x-bibtex" + _TEXT,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",  # pagefind streams its index code; browsers insist on this type
}
BINARY = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class BuildStatus:
    """How the last build went, as every tab is told."""

    build_id: str  # changes with every successful build (and every server run)
    failed: bool
    diagnostics: tuple[Diagnostic, ...]  # of the failed build; empty after a success
    warnings: tuple[Diagnostic, ...] = ()  # of the last build, failed or not


@dataclass(frozen=True, slots=True)
class Response:
    """One complete HTTP answer."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None  # for redirects


# --- pure helpers ---------------------------------------------------------------------------


def normalise_base_path(base_path: str) -> str:
    """The decoded base path with one leading and one trailing slash: "repo" -> "/repo/"."""
    inner = unquote(base_path).strip("/")
    return f"/{inner}/" if inner else "/"


def canonical_path(target: str) -> str | None:
    """The once-decoded absolute path of a request target, or None when it is unsafe.

    Refused: targets not starting with "/", invalid UTF-8, NUL, backslashes, and `.`, `..`
    or empty segments (a trailing slash is kept). Double encoding stays literal: `%252f`
    decodes to the three characters `%2f`, which no file is named.
    """
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    segments = decoded.split("/")[1:]
    if any(segment in ("", ".", "..") for segment in segments[:-1]) or segments[-1] in (".", ".."):
        return None
    return decoded


def content_type_for(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), BINARY)


def inject_script(page: bytes, tag: bytes) -> bytes:
    """`page` with `tag` inserted before its last `</body>` (appended when it has none)."""
    end = page.lower().rfind(b"</body")
    return page + tag if end < 0 else page[:end] + tag + page[end:]


def host_name(header: str) -> str:
    """The host of a `Host` header without its port: "[::1]:8000" -> "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        closing = header.find("]")
        return header[1:closing] if closing > 0 else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def machine_names() -> frozenset[str]:
    """This machine's host name as LAN clients write it: `box`, `box.lan`, `box.local` (mDNS).
    Read from the system, never looked up (no DNS query)."""
    full = socket.gethostname().lower()
    short = full.split(".", 1)[0]
    return frozenset(name for name in (full, short, short + ".local") if name)


def same_address(name: str, local_address: str) -> bool:
    """Whether the host `name` is the IP address `local_address` (an IPv4 address also matches
    its IPv4-mapped IPv6 form, which a dual-stack socket reports)."""
    try:
        asked, ours = (ipaddress.ip_address(text.split("%", 1)[0]) for text in (name, local_address))
    except ValueError:  # a name, not an address
        return False
    return _unmapped(asked) == _unmapped(ours)


def _unmapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    return address.ipv4_mapped or address if address.version == 6 else address


def exposure_warning(host: str) -> str | None:
    """A warning to print when `host` makes the preview reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"serving on {host or 'all interfaces'}: other machines on the network can read the "
        "preview; use the default --host 127.0.0.1 unless you mean to share it"
    )


def event_message(status: BuildStatus) -> bytes:
    """The Server-Sent Event announcing `status`: build status only, never file contents."""
    if status.failed:
        payload = _diagnostics_json(status.diagnostics + status.warnings)
        return b"event: build-error\ndata: " + json.dumps(payload).encode() + b"\n\n"
    payload = {"build": status.build_id, "warnings": _diagnostics_json(status.warnings)}
    return b"event: reload\ndata: " + json.dumps(payload).encode() + b"\n\n"


def _diagnostics_json(diagnostics: Sequence[Diagnostic]) -> list[dict]:
    return [{"path": d.path, "line": d.line, "severity": d.severity.value, "message": d.message}
            for d in diagnostics]


# --- the site as seen over HTTP -------------------------------------------------------------


# Served while no build has succeeded: the live-reload script shows the errors over it and
# reloads it once a build succeeds.
NO_SITE_PAGE = (
    b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>sitegen: no site yet</title>'
    b'<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
    b'<body><main><h1>No site yet</h1><p>The build failed and no earlier build left a site to show. '
    b'Fix the file named in the errors and save: this page reloads by itself.</p></main></body></html>\n'
)


class _Site:
    """Answers a request target from the site folder, as GitHub Pages would."""

    def __init__(self, site_dir: Path, base_path: str):
        self.site_dir = site_dir
        self.base = normalise_base_path(base_path)
        self._script = files("sitegen.dev").joinpath("livereload.js").read_bytes()

    def respond(self, target: str, build_id: str) -> Response:
        """The answer to `target` (the live-reload stream is the handler's business)."""
        # Resolved per request: the builder may swap the folder (or a link to it) between requests.
        site_files = _SiteFiles(self.site_dir.resolve(), self._script_tag(build_id))
        path = canonical_path(target)
        if path is None:
            return site_files.not_found()
        if path + "/" == self.base or (path == "/" and self.base != "/"):
            return _redirect(self.base)
        if not path.startswith(self.base):
            return site_files.not_found()
        below_base = path[len(self.base):]
        if below_base == SCRIPT_PATH:
            return Response(200, CONTENT_TYPES[".js"], self._script)
        if below_base.startswith(RESERVED_FOLDER):
            return site_files.not_found()
        return site_files.page(path, below_base)

    def _script_tag(self, build_id: str) -> bytes:
        return (
            f'<script src="{_url_attribute(self.base + SCRIPT_PATH)}" data-build="{html.escape(build_id)}"'
            f' data-events="{_url_attribute(self.base + EVENTS_PATH)}"></script>'
        ).encode()

    def is_event_stream(self, target: str) -> bool:
        return canonical_path(target) == self.base + EVENTS_PATH


class _SiteFiles:
    """The files of one resolved site folder, read for one request."""

    def __init__(self, root: Path, script_tag: bytes):
        self.root = root
        self.script_tag = script_tag

    def page(self, path: str, below_base: str) -> Response:
        """`below_base` as a file, a folder's index.html, or NAME.html for NAME; else 404."""
        names = [name for name in below_base.split("/") if name]
        wants_folder = below_base == "" or below_base.endswith("/")
        found = self._inside(self.root.joinpath(*names))
        if found is not None and _is_kind(found, stat.S_ISDIR):
            if not wants_folder:
                return _redirect(path + "/")
            return self._file(self.root.joinpath(*names, "index.html")) or self.not_found()
        if wants_folder:
            return self.not_found()
        return (
            self._file(self.root.joinpath(*names))
            or self._file(self.root.joinpath(*names[:-1], names[-1] + ".html"))
            or self.not_found()
        )

    def not_found(self) -> Response:
        """The site's own 404 page with status 404, or a plain one when it has none; with no
        site at all (the first build failed), a page that shows the errors and reloads."""
        page = self._file(self.root / "404.html", status=404)
        if page is not None:
            return page
        if not (self.root / "index.html").is_file():
            return Response(503, CONTENT_TYPES[".html"], inject_script(NO_SITE_PAGE, self.script_tag))
        return Response(404, CONTENT_TYPES[".txt"], b"404 Not Found\n")

    def _inside(self, path: Path) -> Path | None:
        """`path` resolved, when it lies inside the site folder (after following links)."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, an unreadable folder
            return None
        return real if real.is_relative_to(self.root) else None

    def _file(self, path: Path, status: int = 200) -> Response | None:
        """The file at `path` as a response, or None when it is not a readable file inside."""
        real = self._inside(path)
        if real is None or not _is_kind(real, stat.S_ISREG):
            return None
        try:
            body = real.read_bytes()  # whole, and closed at once: the builder replaces files
        except OSError:
            return None
        content_type = content_type_for(path)  # by the name asked for, as GitHub Pages does
        if content_type.startswith("text/html"):
            body = inject_script(body, self.script_tag)
        return Response(status, content_type, body)


def _is_kind(path: Path, kind) -> bool:
    """Whether `path` is a folder or file (`stat.S_ISDIR`, `stat.S_ISREG`). Any error is "no":
    `Path.is_dir` raises on some (a 256-byte name: "File name too long"), which ended the
    connection without an answer."""
    try:
        return kind(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _url_attribute(path: str) -> str:
    """A decoded URL path, encoded and escaped for an HTML attribute."""
    return html.escape(quote(path), quote=True)


def _redirect(path: str) -> Response:
    return Response(302, CONTENT_TYPES[".txt"], b"", location=quote(path))


# --- build status, shared by every open stream ----------------------------------------------


class _StatusBoard:
    """The latest `BuildStatus`, with a version number streams wait on."""

    def __init__(self) -> None:
        self._run = secrets.token_hex(4)  # a restarted server makes every tab reload
        self._builds = 0
        self._version = 0
        self._status = BuildStatus(self._build_id(), False, ())
        self._closed = False
        self._changed = threading.Condition()

    def _build_id(self) -> str:
        return f"{self._run}-{self._builds}"

    def current(self) -> BuildStatus:
        with self._changed:
            return self._status

    def succeeded(self, warnings: Sequence[Diagnostic] = (), *, new_build: bool = True) -> None:
        with self._changed:
            self._builds += new_build
            self._publish(BuildStatus(self._build_id(), False, (), tuple(warnings)))

    def failed(self, diagnostics: Sequence[Diagnostic], warnings: Sequence[Diagnostic] = ()) -> None:
        with self._changed:
            self._publish(BuildStatus(self._status.build_id, True, tuple(diagnostics), tuple(warnings)))

    def _publish(self, status: BuildStatus) -> None:
        self._status = status
        self._version += 1
        self._changed.notify_all()

    def wait(self, seen_version: int | None, timeout: float) -> tuple[int, BuildStatus] | None:
        """The status once it differs from `seen_version` or `timeout` passes; None when closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._version != seen_version, timeout)
            return None if self._closed else (self._version, self._status)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


# --- HTTP plumbing --------------------------------------------------------------------------


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
        self.site = _Site(self.site_dir, base_path)
        self.board = _StatusBoard()
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
