"""Full-text search: a Pagefind index of the paper pages, built in memory for the site writer.

One record per paper page (listing pages are not results), made by `search_records` from the
plan's data; this module only turns records into the index. Its words are the title, the
abstract and the curator's summary; its filters are topic, hardware (vendor, family and
model names, as on the hardware pages), year, status and code; its sorts are date and
upvotes; its metadata is what a result shows (title, date, upvotes, chips).

How: the Pagefind binary (from the `pagefind_bin` package, or `PAGEFIND_BINARY_PATH`; never
downloaded) indexes a private temporary folder holding one small HTML stub per record, and
the bundle it writes there is read back into memory, so the site writer publishes it
atomically with the pages. Not the `pagefind` Python API: its service client sleeps 0.1 s
before reading each reply, so `add_custom_record` costs 0.1 s per paper (minutes for the
seed site), and its `get_files` hangs once the bundle passes 2 MiB of base64 (the reader's
buffer limit). One run of the binary takes about a second and has no size limit.

If the binary cannot run (missing, not executable, crashing, timing out), the build goes on
without search and says so once; nothing here raises.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from sitegen.diagnostics import Diagnostic, warning

BUNDLE_DIR = "pagefind/"  # where the bundle is published, under the site root
INDEX_TIMEOUT = 120.0  # seconds; the seed site takes about one
UNKNOWN_DATE = "0000-00-00"  # sorts after every real date; Pagefind drops records lacking a sort key
# Pagefind's own UIs; the search page uses the JS API (pagefind.js) only.
UNUSED_BUNDLE_FILES = frozenset({
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
    "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js",
})
REQUIRED_BUNDLE_FILES = ("pagefind.js", "pagefind-entry.json")


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One search result: a paper page, its words, what the result shows, its filters and sorts."""

    url: str  # the page's href, base path included
    title: str
    abstract: str  # plain text
    summary: str  # the curator's one-line summary, or ""
    date: str  # human date, "" when unknown
    date_iso: str  # "" when the year is unknown
    upvotes: int | None
    has_code: bool
    status: str  # "", "to-read", "reading", "read"
    topics: tuple[str, ...]  # topic titles: the result's topic chips and `topic` filter values
    hardware: tuple[str, ...]  # vendor, family and model names: the `hardware` filter values
    hardware_chips: tuple[str, ...]  # the hardware chips a listing card shows (most specific)

    def meta(self) -> dict[str, str]:
        """What a result shows; Pagefind also matches words here (chip names are useful words)."""
        found = {"title": self.title, "date": self.date, "date_iso": self.date_iso,
                 "upvotes": "" if self.upvotes is None else str(self.upvotes),
                 "topics": _json_list(self.topics), "hardware": _json_list(self.hardware_chips)}
        return {name: value for name, value in found.items() if value}

    def filters(self) -> dict[str, tuple[str, ...]]:
        """Filter name -> values; the names are the search page's filter groups."""
        found = {"topic": self.topics, "hardware": self.hardware,
                 "year": (self.date_iso[:4],) if self.date_iso else (),
                 "status": (self.status,) if self.status else (),
                 "code": ("has code" if self.has_code else "no code",)}
        return {name: values for name, values in found.items() if values}

    def sorts(self) -> dict[str, str]:
        """Every record has every sort key: Pagefind leaves out records that lack the one asked."""
        return {"date": self.date_iso or UNKNOWN_DATE, "upvotes": f"{self.upvotes or 0:09d}"}


@dataclass(frozen=True, slots=True)
class SearchStats:
    """What the index cost: records indexed, bytes published, seconds spent."""

    records: int
    bytes: int
    seconds: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The search bundle as output files, or why there is none."""

    files: dict[str, bytes]  # output path under "pagefind/" -> bytes
    diagnostics: tuple[Diagnostic, ...]
    available: bool
    stats: SearchStats


NO_SEARCH = SearchResult({}, (), False, SearchStats(0, 0, 0.0))  # search off, or not asked for


class SearchUnavailable(Exception):
    """The binary could not index; the message is the reason shown to the curator."""


# --- records as Pagefind reads them ------------------------------------------------------

def _json_list(labels: tuple[str, ...]) -> str:
    """Chip labels as one metadata string (Pagefind metadata values are strings); "" when none."""
    return json.dumps(labels, ensure_ascii=False) if labels else ""


def stub_html(record: SearchRecord) -> str:
    """The HTML page Pagefind indexes for a record: data in attributes, words in the body.

    The title is a heading, which Pagefind ranks above paragraph words.
    """
    tags = [f'<meta data-pagefind-meta="{name}[content]" content="{escape(value)}">'
            for name, value in record.meta().items()]
    tags += [f'<meta data-pagefind-filter="{name}[content]" content="{escape(value)}">'
             for name, values in record.filters().items() for value in values]
    tags += [f'<meta data-pagefind-sort="{name}[content]" content="{escape(value)}">'
             for name, value in record.sorts().items()]
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in (record.abstract, record.summary) if text)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8">{"".join(tags)}</head>'
            f"<body><h1>{escape(record.title)}</h1>{paragraphs}</body></html>")


def stub_path(url: str) -> PurePosixPath | None:
    """Where a stub goes for Pagefind to give it `url`: "/list/papers/x/" -> list/papers/x/index.html.

    None for a URL that could name a place outside the folder (the plan never makes one).
    """
    parts = [part for part in unquote(url).split("/") if part]
    if any(part in (".", "..") or "\\" in part for part in parts):
        return None
    return PurePosixPath(*parts, "index.html") if url.endswith("/") else PurePosixPath(*parts)


# --- the index (runs the binary in a private temporary folder) -------------------------------

def index_records(records: tuple[SearchRecord, ...], language: str, *,
                  timeout: float = INDEX_TIMEOUT) -> SearchResult:
    """The Pagefind bundle for these records; `available=False` with one warning if it fails."""
    start = time.perf_counter()
    try:
        files = _run_index(records, language, timeout)
    except (SearchUnavailable, OSError) as exc:
        reason = str(exc) if isinstance(exc, SearchUnavailable) else f"cannot use a working folder: {exc}"
        seconds = time.perf_counter() - start
        return SearchResult({}, (unavailable_warning(reason),), False, SearchStats(0, 0, seconds))
    stats = SearchStats(len(records), sum(len(data) for data in files.values()), time.perf_counter() - start)
    return SearchResult(files, (), True, stats)


def unavailable_warning(reason: str) -> Diagnostic:
    return warning("search", None, f"search index not built: {reason}; the search page says search is unavailable")


def _run_index(records: tuple[SearchRecord, ...], language: str, timeout: float) -> dict[str, bytes]:
    if not records:
        raise SearchUnavailable("there are no paper pages to index")
    binary = _binary()
    with tempfile.TemporaryDirectory(prefix="sitegen-search-", dir=_scratch_root()) as work:
        site, bundle = Path(work, "site"), Path(work, "bundle")
        for record in records:
            path = stub_path(record.url)
            if path is None:
                continue
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stub_html(record), encoding="utf-8")
        _run(binary, ["--site", str(site), "--output-path", str(bundle), "--force-language", language, "--quiet"],
             cwd=work, timeout=timeout)
        return _read_bundle(bundle)


def _scratch_root() -> str | None:
    """A memory-backed folder for the stubs and the bundle when the system has one, else the default.

    Why: on a busy disk, creating and deleting the ~2 files per paper took 4 s of the seed
    site's 5 s; in /dev/shm the whole index takes about 1 s.
    """
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _read_bundle(bundle: Path) -> dict[str, bytes]:
    """The bundle's files by output path, without Pagefind's own UIs and unused languages."""
    missing = [name for name in REQUIRED_BUNDLE_FILES if not (bundle / name).is_file()]
    if missing:
        raise SearchUnavailable(f"Pagefind wrote no {missing[0]}")
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        wasm_used = {f"wasm.{language['wasm'] or 'unknown'}.pagefind" for language in entry["languages"].values()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SearchUnavailable("Pagefind wrote a pagefind-entry.json this version cannot read") from None
    files = {}
    for path in sorted(bundle.rglob("*")):
        name = path.relative_to(bundle).as_posix()
        if not path.is_file() or name in UNUSED_BUNDLE_FILES:
            continue
        if name.startswith("wasm.") and name not in wasm_used:
            continue
        files[BUNDLE_DIR + name] = path.read_bytes()
    return files


# --- the binary ----------------------------------------------------------------------------

def _binary() -> Path:
    """The Pagefind executable: PAGEFIND_BINARY_PATH, else the `pagefind_bin` package's."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise SearchUnavailable("the pagefind package is not installed (pip install 'pagefind[bin]')") from None
    try:
        binary = get_executable()
    except OSError as exc:
        raise SearchUnavailable(f"the Pagefind binary is missing ({exc})") from None
    if binary is None:
        raise SearchUnavailable("no Pagefind binary found (pip install 'pagefind[bin]')")
    return binary


def _run(binary: Path, arguments: list[str], *, cwd: str | None, timeout: float) -> None:
    """Run the binary to completion (killed at `timeout`); any failure is `SearchUnavailable`."""
    # Pagefind reads PAGEFIND_* variables and a pagefind.yml in its working folder as options;
    # neither may leak in from the curator's shell or project.
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    try:
        done = subprocess.run([str(binary), *arguments], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SearchUnavailable(f"{binary} timed out after {timeout:g} s") from None
    except OSError as exc:
        raise SearchUnavailable(f"cannot run {binary}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise SearchUnavailable(f"{binary} failed (exit status {done.returncode}): {_first_message(done)}")


def _first_message(done: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in (done.stderr + done.stdout).decode("utf-8", "replace").splitlines()]
    found = [line for line in lines if line]
    return found[0][:200] if found else "no message"
