"""The built site as seen over HTTP: a request target in, one complete `Response` out, as
GitHub Pages would answer it, with the live-reload script added to HTML on the way out (built
files never contain it).

Safety: paths are decoded once and refused if they hold `..`, `.`, empty segments, NUL or
backslashes; the file finally read must resolve inside the site folder (symlinks included).
Every bad path is a plain 404.
"""

from __future__ import annotations

import html
import stat
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, unquote

RESERVED_FOLDER = "__sitegen/"  # below the base path; a site never has this folder
SCRIPT_PATH = RESERVED_FOLDER + "livereload.js"
EVENTS_PATH = RESERVED_FOLDER + "events"
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
class Response:
    """One complete HTTP answer."""

    status: int
    content_type: str
    body: bytes
    location: str | None = None  # for redirects


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


# Served while no build has succeeded: the live-reload script shows the errors over it and
# reloads it once a build succeeds.
NO_SITE_PAGE = (
    b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>sitegen: no site yet</title>'
    b'<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
    b'<body><main><h1>No site yet</h1><p>The build failed and no earlier build left a site to show. '
    b'Fix the file named in the errors and save: this page reloads by itself.</p></main></body></html>\n'
)


class PreviewSite:
    """Answers a request target from the site folder, as GitHub Pages would."""

    def __init__(self, site_dir: Path, base_path: str):
        self.site_dir = site_dir
        self.base = normalise_base_path(base_path)
        self._script = files("sitegen.dev").joinpath("livereload.js").read_bytes()

    def respond(self, target: str, build_id: str) -> Response:
        """The answer to `target` (the live-reload stream is the handler's business)."""
        # Resolved per request: the builder may swap the folder (or a link to it) between requests.
        resolved = _ResolvedSite(self.site_dir.resolve(), self._script_tag(build_id))
        path = canonical_path(target)
        if path is None:
            return resolved.not_found()
        if path + "/" == self.base or (path == "/" and self.base != "/"):
            return _redirect(self.base)
        if not path.startswith(self.base):
            return resolved.not_found()
        below_base = path[len(self.base):]
        if below_base == SCRIPT_PATH:
            return Response(200, CONTENT_TYPES[".js"], self._script)
        if below_base.startswith(RESERVED_FOLDER):
            return resolved.not_found()
        return resolved.page(path, below_base)

    def _script_tag(self, build_id: str) -> bytes:
        return (
            f'<script src="{_url_attribute(self.base + SCRIPT_PATH)}" data-build="{html.escape(build_id)}"'
            f' data-events="{_url_attribute(self.base + EVENTS_PATH)}"></script>'
        ).encode()

    def is_event_stream(self, target: str) -> bool:
        return canonical_path(target) == self.base + EVENTS_PATH


class _ResolvedSite:
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
